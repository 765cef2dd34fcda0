import { Hono } from 'hono'
import type { Services } from '../services.ts'
import { adminAuditPages } from './admin-audit.tsx'
import { adminAuditExport } from './admin-audit-export.ts'
import { adminUserPage } from './admin-user.tsx'
import { adminCreateUser, adminUserActions } from './admin-user-actions.ts'
import { adminUserPages } from './admin-users.tsx'
import { devPages } from './dev.tsx'
import { homePages } from './home.tsx'
import { registerApp } from './layout.tsx'
import { loginPages, logoutPages } from './login.tsx'
import { profilePages, sessionPages } from './profile.tsx'
import { forgotPasswordPages, resetPasswordPages } from './recovery.tsx'
import { signupPages } from './signup.tsx'
import { unlockPages } from './unlock.tsx'
import { verifyEmailPages } from './verify-email.tsx'

export { renderErrorPage } from './error.tsx'

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0172ad"/><path d="M16 6 26 16 16 26 6 16Z" fill="#fff"/></svg>`

/** The server-rendered pages of docs/http-api.md (hono/jsx, Pico CSS). */
export function pageRoutes(s: Services): Hono {
  registerApp(s)
  const pages = new Hono()
  homePages(pages, s)
  signupPages(pages, s)
  loginPages(pages, s)
  unlockPages(pages, s)
  logoutPages(pages)
  profilePages(pages, s)
  sessionPages(pages, s)
  forgotPasswordPages(pages, s)
  resetPasswordPages(pages, s)
  verifyEmailPages(pages, s)
  adminUserPages(pages, s)
  adminCreateUser(pages, s)
  adminUserActions(pages, s)
  adminUserPage(pages, s)
  adminAuditExport(pages, s)
  adminAuditPages(pages, s)
  devPages(pages, s)
  pages.get('/favicon.svg', (c) =>
    c.body(FAVICON, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' }),
  )
  return pages
}
