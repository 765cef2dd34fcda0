import { Hono } from 'hono'
import type { Services } from '../services.ts'
import { adminPages } from './admin.tsx'
import { authPages } from './auth.tsx'
import { devPages } from './dev.tsx'
import { registerApp } from './layout.tsx'
import { profilePages } from './profile.tsx'
import { recoveryPages } from './recovery.tsx'

export { renderErrorPage } from './error.tsx'

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0172ad"/><path d="M16 6 26 16 16 26 6 16Z" fill="#fff"/></svg>`

/** The server-rendered pages of docs/http-api.md (hono/jsx, Pico CSS). */
export function pageRoutes(s: Services): Hono {
  registerApp(s)
  const pages = new Hono()
  authPages(pages, s)
  profilePages(pages, s)
  recoveryPages(pages, s)
  adminPages(pages, s)
  devPages(pages, s)
  pages.get('/favicon.svg', (c) =>
    c.body(FAVICON, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' }),
  )
  return pages
}
