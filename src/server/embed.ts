import { type Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { gatehouse } from '../adapters/hono.ts'
import type { Auth } from '../core/auth.ts'
import { tokenCookiesFor } from '../core/compose.ts'
import { AuthError, errorResponse, toAuthError } from '../core/errors.ts'
import { logUnexpected } from '../core/logger.ts'
import { createOutboxMailer, type Mailer, type OutboxMailer } from '../core/mail/mailer.ts'
import { DeviceUnlock } from '../core/methods/password/device-unlock.ts'
import { AccountRecovery } from '../core/methods/password/recovery.ts'
import { SelfService } from '../core/users/self-service.ts'
import { DEFAULT_PRIMARY_COLOR, loadBranding } from './branding.ts'
import { securityHeaders } from './headers.ts'
import { answerError, mountGatehouse, notFound } from './mount.ts'
import type { Services } from './services.ts'

export interface EmbedOptions {
  /** The HTML pages too (login, sign-up, profile, admin…), under the same prefix. Default false. */
  pages?: boolean
  /**
   * Hono: the client IP for throttling and the session list, as for gatehouse(); default the
   * socket address. Express passes `req.ip` (so its `trust proxy` setting applies).
   */
  clientIp?: (c: Context) => string | null
}

/** The client IP a framework adapter already knows (Express's `req.ip`), passed in the env. */
export interface EmbedEnv {
  gatehouseClientIp?: string | null
}

/** Marks the answer to a path the mount has no route for: the framework goes on to the app's routes. */
export const UNMATCHED = 'x-gatehouse-unmatched'

const apps = new WeakMap<Auth, Map<string, Hono>>()
const outboxes = new WeakMap<Auth, OutboxMailer>()

/**
 * The Hono app that serves docs/http-api.md under `prefix` for a library app (the Hono and
 * Express mounts, `auth.handler`): the server's own routes (mount.ts), behind the same body
 * limit, gatehouse() and security headers. Built once per auth, prefix and `pages`.
 */
export function embeddedApp(auth: Auth, prefix: string, options: EmbedOptions = {}): Hono {
  const pages = options.pages === true
  const key = `${pages} ${prefix}`
  const built = apps.get(auth) ?? new Map<string, Hono>()
  apps.set(auth, built)
  let app = built.get(key)
  if (!app) {
    app = buildApp(auth, prefix, pages, options.clientIp)
    built.set(key, app)
  }
  return app
}

/**
 * The mails of the mounted routes: the `mailer` option; else, outside production, a
 * development outbox (logged, and shown at <prefix>/dev/outbox with the pages). Production
 * without one fails at mount time, naming the option.
 */
export function mountMailer(auth: Auth): { mailer: Mailer; outbox: OutboxMailer | null } {
  const { mailer, mode, logger } = auth.options
  if (mailer) return { mailer, outbox: null }
  if (mode === 'production')
    throw new AuthError('CONFIG_INVALID', {
      message:
        'Invalid Gatehouse option "mailer": the mounted routes need one in production (reset, verification and unlock mails)',
    })
  let outbox = outboxes.get(auth)
  if (!outbox) {
    outbox = createOutboxMailer((line) => logger.info?.(line))
    outboxes.set(auth, outbox)
    logger.warn('"mailer" not set: mails of the mounted routes go to the log (development outbox).')
  }
  return { mailer: outbox, outbox }
}

function buildApp(auth: Auth, prefix: string, pages: boolean, clientIp: EmbedOptions['clientIp']): Hono {
  const { options } = auth
  const { mailer, outbox } = mountMailer(auth)
  // Links in mails point at the pages under the prefix.
  const links = { publicUrl: `${options.origin}${prefix}`, appName: options.appName }
  const onError = (e: unknown) => options.logger.warn(`mail failed: ${(e as Error).message}`)
  const services: Services = {
    config: { appName: options.appName, publicUrl: options.publicUrl },
    auth,
    mailer,
    outbox,
    recovery: new AccountRecovery(auth, mailer, { ...links, onError }),
    unlock: new DeviceUnlock(auth, mailer, { ...links, onError }),
    tokenCookies: prefix ? tokenCookiesFor(options, auth.tokens, `${prefix}/api/auth`) : auth.tokenCookies,
    branding: loadBranding({ appName: options.appName, primaryColor: DEFAULT_PRIMARY_COLOR }),
    account: new SelfService(auth, mailer, links),
  }
  const answer = (c: Parameters<typeof answerError>[0], e: AuthError) => answerError(c, e, prefix)
  const app = new Hono()
  app.use(securityHeaders({ hsts: options.secure }))
  app.use(bodyLimit({ maxSize: 64 * 1024, onError: (c) => answer(c, new AuthError('PAYLOAD_TOO_LARGE')) }))
  const ip = (c: Context) => {
    const given = (c.env as EmbedEnv | undefined)?.gatehouseClientIp
    if (given !== undefined) return given
    if (clientIp) return clientIp(c)
    const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming
    return incoming?.socket?.remoteAddress ?? null
  }
  app.use(gatehouse(auth, { onError: answer, clientIp: ip }))
  mountGatehouse(app, services, { prefix, pages })
  app.notFound((c) =>
    c.req.path.startsWith(`${prefix}/api/`) ? notFound(c, prefix) : c.body(null, 404, { [UNMATCHED]: '1' }),
  )
  app.onError((error, c) => {
    const e = toAuthError(error)
    if (e.status >= 500 && e.code !== 'STORE_UNAVAILABLE')
      logUnexpected(options.logger, `${c.req.method} ${c.req.path}`, error)
    return answer(c, e)
  })
  return app
}

/** `auth.handler`: the JSON API under the `basePath` option; a path it does not serve is a JSON 404. */
export async function handleRequest(auth: Auth, request: Request): Promise<Response> {
  const response = await embeddedApp(auth, auth.options.basePath).fetch(request)
  return response.headers.has(UNMATCHED) ? errorResponse(new AuthError('NOT_FOUND')) : response
}
