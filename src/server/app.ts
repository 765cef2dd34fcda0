import { type Context, Hono } from 'hono'
import { gatehouse } from '../adapters/hono.ts'
import { type Auth, createAuth } from '../core/auth.ts'
import { AuthError, errorResponse, toAuthError } from '../core/errors.ts'
import { escapingLogger } from '../core/log-escape.ts'
import { createOutboxMailer, createSmtpMailer, type Mailer } from '../core/mail/mailer.ts'
import type { OAuthOptions } from '../core/methods/oauth/index.ts'
import { DeviceUnlock } from '../core/methods/password/device-unlock.ts'
import { AccountRecovery } from '../core/methods/password/recovery.ts'
import type { AuthOptions, Logger } from '../core/options.ts'
import { STORE_RETRY_AFTER_SECONDS } from '../core/store-guard.ts'
import { SelfService } from '../core/users/self-service.ts'
import type { Stores } from '../stores/contracts.ts'
import type { SqlStores } from '../stores/sql/index.ts'
import { allowedMethods } from './allowed-methods.ts'
import { requestBodyLimit } from './body-limit.ts'
import { loadBranding } from './branding.ts'
import { clientScriptRoute } from './client-script.ts'
import type { ServerConfig } from './config.ts'
import { appCors } from './cors.ts'
import { securityHeaders } from './headers.ts'
import { answerError, mountGatehouse, notFound } from './mount.ts'
import { oauthModuleFrom } from './oauth-config.ts'
import { type OpenedStores, openServerStores } from './open-stores.ts'
import { oauthOf } from './pages/providers.tsx'
import { productionProblems, serverMode, smtpProblem } from './preflight.ts'
import { everyInterval, type Schedule, startPurging } from './purge-schedule.ts'
import { StaticPathRouter } from './router.ts'
import type { Services } from './services.ts'

export interface CreateServerOptions {
  logger?: Logger
  /** Tests pass their own stores (memory, fake clock) or mailer. */
  stores?: Stores
  mailer?: Mailer
  clock?: AuthOptions['clock']
  /** A fetch for the sign-in providers' requests (tests route hosts to local servers). */
  oauthFetch?: OAuthOptions['fetch']
  /** Runs the periodic purge of expired rows (SQL stores); default an unref'd setInterval. */
  schedule?: Schedule
}

export interface GatehouseServer {
  app: Hono
  services: Services
  close(): Promise<void>
}

/** Builds the whole service: stores, auth, mailer, API, pages. No socket (see serve.ts). */
export async function createServer(
  config: ServerConfig,
  options: CreateServerOptions = {},
): Promise<GatehouseServer> {
  // Lines carry request data (paths, mail subjects): every one is escaped, whoever logs it.
  const logger = escapingLogger(
    options.logger ?? {
      warn: (m: string) => console.warn(`[gatehouse] WARNING: ${m}`),
      info: (m: string) => console.info(`[gatehouse] ${m}`),
    },
  )
  // Every production problem at once, before anything opens (not one per restart).
  if (serverMode(config) === 'production') {
    const problems = productionProblems(config, options.mailer !== undefined)
    if (problems.length > 0) throw new AuthError('CONFIG_INVALID', { message: problems.join('\n') })
  }
  // Read before anything opens: a bad logo file fails the start with nothing to close.
  const branding = loadBranding(config)
  const opened: OpenedStores = options.stores
    ? { stores: options.stores, purge: purgerOf(options.stores) }
    : await openServerStores(config, options.clock, logger)
  const { stores } = opened
  const auth = await openAuth(config, options, opened, logger)
  const { mailer, outbox } = await openMailer(config, options, auth, stores, logger)
  const recovery = new AccountRecovery(auth, mailer, {
    publicUrl: config.publicUrl,
    appName: config.appName,
    onError: (e) => logger.warn(`mail failed: ${(e as Error).message}`),
  })
  const unlock = new DeviceUnlock(auth, mailer, {
    publicUrl: config.publicUrl,
    appName: config.appName,
    onError: (e) => logger.warn(`mail failed: ${(e as Error).message}`),
  })
  const account = new SelfService(auth, mailer, { publicUrl: config.publicUrl, appName: config.appName })
  const services: Services = { config, auth, mailer, outbox, recovery, unlock, branding, account }
  let app: Hono
  try {
    app = serverApp(services, config, stores, logger)
  } catch (error) {
    // A module route that collides with the server's own: nothing may stay open.
    mailer.close?.()
    await auth.close()
    throw error
  }

  // Nothing else deletes expired sessions and tokens from SQL tables (Redis expires its own).
  const purging = opened.purge ? startPurging(opened.purge, logger, options.schedule ?? everyInterval) : null

  return {
    app,
    services,
    close: async () => {
      await purging?.stop()
      mailer.close?.()
      await auth.close()
    },
  }
}

/** createAuth with the server's settings; the stores are closed if it fails. */
async function openAuth(
  config: ServerConfig,
  options: CreateServerOptions,
  opened: OpenedStores,
  logger: Logger,
): Promise<Auth> {
  const { stores } = opened
  try {
    const url = new URL(config.publicUrl)
    const devOrigins =
      config.mode !== 'production' && url.hostname === 'localhost'
        ? [`${url.protocol}//127.0.0.1${url.port ? `:${url.port}` : ''}`]
        : []
    const extra = config.auth as Partial<AuthOptions>
    const oauthModule = oauthModuleFrom(config.oauth, {
      production: config.mode === 'production',
      publicUrl: config.publicUrl,
      logger,
      ...(options.oauthFetch ? { fetch: options.oauthFetch } : {}),
    })
    return await createAuth(
      {
        ...extra,
        secret: config.secret,
        previousSecrets: config.previousSecrets,
        mode: config.mode,
        emailVerification: config.emailVerification,
        publicUrl: config.publicUrl,
        dataDir: config.dataDir,
        stores,
        clock: options.clock,
        logger,
        modules: [...(extra.modules ?? []), ...(oauthModule ? [oauthModule] : [])],
        csrf: {
          ...(extra.csrf ?? {}),
          trustedOrigins: [...(extra.csrf?.trustedOrigins ?? []), ...devOrigins],
          appOrigins: [...(extra.csrf?.appOrigins ?? []), ...(oauthModule?.appOrigins() ?? [])],
        },
      },
      opened.throttleBackend ? { throttleBackend: opened.throttleBackend } : {},
    )
  } catch (error) {
    await stores.close()
    throw error
  }
}

/** The caller's mailer, else SMTP, else (not in production) the development outbox. */
async function openMailer(
  config: ServerConfig,
  options: CreateServerOptions,
  auth: Auth,
  stores: Stores,
  logger: Logger,
): Promise<{ mailer: Mailer; outbox: Services['outbox'] }> {
  const production = auth.options.mode === 'production'
  let outbox: Services['outbox'] = null
  let mailer = options.mailer
  if (!mailer) {
    if (config.smtpUrl) {
      mailer = createSmtpMailer(config.smtpUrl, config.mailFrom)
      // Said at start, not at the first password reset; --strict (GATEHOUSE_STRICT) refuses to start.
      const problem = await smtpProblem(mailer)
      if (problem && config.strict) {
        mailer.close?.()
        await stores.close()
        throw new AuthError('CONFIG_INVALID', { message: `Invalid server setting "smtpUrl": ${problem}` })
      }
      if (problem) logger.warn(`${problem}; mails will fail until it answers.`)
    } else if (production) {
      await stores.close()
      throw new AuthError('CONFIG_INVALID', {
        message:
          'Invalid server setting "smtpUrl": SMTP_URL is required in production (password reset mails)',
      })
    } else {
      outbox = createOutboxMailer((line) => logger.info?.(line))
      mailer = outbox
      logger.warn('SMTP_URL not set: mails go to the development outbox at /dev/outbox and the log.')
    }
  }
  return { mailer, outbox }
}

/** The routes and middleware: headers, body limit, gatehouse(), health, then the mount (mount.ts), errors. */
function serverApp(services: Services, config: ServerConfig, stores: Stores, logger: Logger): Hono {
  const { auth } = services
  const app = new Hono({ router: new StaticPathRouter() })
  const oauth = oauthOf(auth)
  app.use(
    securityHeaders({
      hsts: auth.options.secure,
      formActions: () => oauth?.authorizationOrigins() ?? [],
      imageOrigins: services.branding.imageOrigins,
    }),
  )
  // Errors answered before a route runs: an HTML page for browsers, docs/http-api.md's JSON error for the rest.
  const answer = (c: Context, e: AuthError) => answerError(c, e)
  // Single-page apps on the origins of GATEHOUSE_APP_REDIRECT_URIS: preflights and CORS headers (cors.ts).
  app.use(appCors(auth.options.csrf.appOrigins.map((o) => new URL(o).origin)))
  app.use(requestBodyLimit(64 * 1024, (c) => answer(c, new AuthError('PAYLOAD_TOO_LARGE'))))
  app.use(gatehouse(auth, { clientIp: config.trustProxy ? forwardedIp : undefined, onError: answer }))

  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.get('/readyz', async (c) => {
    try {
      await stores.ping()
      return c.json({ status: 'ready' })
    } catch (error) {
      // Which store is missing: `sql`, `redis` (composed stores say), else the one bundle.
      const named = (error as { stores?: unknown })?.stores
      const down = Array.isArray(named)
        ? named
        : [/^(sqlite|postgres)/.test(stores.description) ? 'sql' : 'stores']
      const res = errorResponse(new AuthError('STORE_UNAVAILABLE', { retryAfter: STORE_RETRY_AFTER_SECONDS }))
      const body = (await res.json()) as Record<string, unknown>
      return c.json({ ...body, status: 'unavailable', stores: down }, 503, Object.fromEntries(res.headers))
    }
  })
  app.get('/client.js', clientScriptRoute())
  // The same routes a library app mounts under its prefix (gatehouseRoutes), here at the root.
  mountGatehouse(app, services, { prefix: '', pages: true })

  // A known path asked with another method is a 405 naming the methods it takes (RFC 9110 §15.5.6).
  const allowed = allowedMethods(app)
  app.notFound(async (c) => {
    const allow = allowed(c.req.path, c.req.method)
    if (allow.length === 0) return notFound(c)
    const res = await answerError(c, new AuthError('METHOD_NOT_ALLOWED'))
    res.headers.set('allow', allow.join(', '))
    return res
  })
  // A store outage fails every request that needs the store: one line (no stack) per
  // minute at most, not one per request — the Redis client logs the outage and its end.
  let storeFailureLoggedAt = Number.NEGATIVE_INFINITY
  app.onError((error, c) => {
    const e = toAuthError(error)
    if (e.code === 'STORE_UNAVAILABLE') {
      const now = Date.now()
      if (now - storeFailureLoggedAt >= STORE_FAILURE_LOG_INTERVAL_MS) {
        storeFailureLoggedAt = now
        logger.warn(
          `${c.req.method} ${c.req.path} failed (503): a store is unavailable (${rootMessage(error)}); further store failures in the next minute are not logged`,
        )
      }
    } else if (e.status >= 500)
      logger.warn(`${c.req.method} ${c.req.path} failed: ${(error as Error)?.stack ?? String(error)}`)
    return answer(c, e)
  })
  return app
}

const STORE_FAILURE_LOG_INTERVAL_MS = 60_000

/** The innermost cause's message (a store failure wraps the driver's error). */
function rootMessage(error: unknown): string {
  let e = error
  for (let i = 0; i < 5 && e instanceof Error && e.cause !== undefined; i++) e = e.cause
  return e instanceof Error ? e.message || e.name : String(e)
}

/** The purge of SQL stores passed in by the caller (createSqlStores), if they have one. */
function purgerOf(stores: Stores): (() => Promise<unknown>) | undefined {
  const purge = (stores as Partial<SqlStores>).purgeExpired
  return typeof purge === 'function' ? () => purge.call(stores) : undefined
}

/**
 * With GATEHOUSE_TRUST_PROXY: the address our proxy saw, i.e. the right-most X-Forwarded-For
 * entry — the ones to its left are whatever the client chose to send.
 */
function forwardedIp(c: Context): string | null {
  const last = c.req.header('x-forwarded-for')?.split(',').pop()?.trim()
  if (last) return last
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
  return env?.incoming?.socket?.remoteAddress ?? null
}
