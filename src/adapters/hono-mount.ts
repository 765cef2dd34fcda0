import { Hono } from 'hono'
import { basePath } from 'hono/route'
import type { Auth } from '../core/auth.ts'
import { type EmbedOptions, embeddedApp, mountMailer, UNMATCHED } from '../server/embed.ts'

export type GatehouseRoutesOptions = EmbedOptions

/**
 * `app.route('/auth', gatehouseRoutes(auth))`: docs/http-api.md's JSON API (and, with
 * `{ pages: true }`, the pages) under the prefix the app mounts it at. Links in mails, the
 * pages' links and redirects, and the refresh cookie's path follow that prefix. A path the
 * mount does not serve goes on to the app's own routes.
 */
export function gatehouseRoutes(auth: Auth, options: GatehouseRoutesOptions = {}): Hono {
  mountMailer(auth) // production without a mailer fails now, at start, not at the first reset
  const routes = new Hono()
  routes.use('*', async (c, next) => {
    const prefix = basePath(c).replace(/\/$/, '')
    const response = await embeddedApp(auth, prefix, options).fetch(c.req.raw, c.env)
    if (response.headers.has(UNMATCHED)) return next()
    return response
  })
  return routes
}
