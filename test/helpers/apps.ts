/**
 * One small app, written once per framework with the public adapter API, so the same
 * integration suite runs through Hono and Express (STYLE.md 11–12).
 */
import express from 'express'
import { Hono } from 'hono'
import { inject } from 'light-my-request'
import * as ex from '../../src/adapters/express.ts'
import * as ho from '../../src/adapters/hono.ts'
import type { Auth } from '../../src/core/auth.ts'
import { AuthError } from '../../src/core/errors.ts'
import { toPublicUser } from '../../src/core/users.ts'

export type Send = (request: Request) => Promise<Response>

/** Client IP from a test header, so throttling tests can rotate addresses. */
const TEST_IP = 'x-test-ip'

export function honoApp(auth: Auth): Hono {
  const app = new Hono()
  app.onError((error) => ho.authErrorHandler(error))
  app.use(ho.gatehouse(auth, { clientIp: (c) => c.req.header(TEST_IP) ?? '192.0.2.1' }))
  app.post('/signup', async (c) => {
    const body = await ho.jsonBody(c)
    const user = await auth.signUp(body as never, c.get('gatehouseContext'))
    return c.json({ user: toPublicUser(user) }, 201)
  })
  app.post('/login', async (c) => {
    const body = await ho.jsonBody(c)
    const user = await auth.verifyLogin(body as never, c.get('gatehouseContext'))
    await ho.login(c, user, { remember: body.remember === true })
    return c.json({ user: toPublicUser(user) })
  })
  app.post('/logout', async (c) => {
    await ho.logout(c)
    return c.body(null, 204)
  })
  app.get('/private', ho.loginRequired(), (c) => c.json({ user: toPublicUser(c.get('user')!) }))
  app.get('/admin', ho.roleRequired('admin'), (c) => c.json({ ok: true }))
  app.get('/editor', ho.permissionRequired('content:write'), (c) => c.json({ ok: true }))
  app.get('/sessions', ho.loginRequired(), async (c) =>
    c.json({ sessions: await auth.listSessions(c.get('user')!.id) }),
  )
  app.delete('/sessions/:id', ho.loginRequired(), async (c) => {
    await auth.revokeSession(c.get('user')!.id, c.req.param('id'), c.get('gatehouseContext'))
    return c.body(null, 204)
  })
  app.post('/password', ho.loginRequired(), async (c) => {
    const body = await ho.jsonBody(c)
    const rotated = await auth.changePassword(
      c.get('user')!,
      { currentPassword: String(body.current_password ?? ''), newPassword: String(body.new_password ?? '') },
      c.get('session'),
      c.get('gatehouseContext'),
    )
    for (const cookie of rotated?.cookies ?? []) c.header('set-cookie', cookie, { append: true })
    return c.body(null, 204)
  })
  app.get('/token', ho.tokenRequired(auth), (c) =>
    c.json({ identity: c.get('identity'), roles: c.get('claims').roles }),
  )
  app.get('/token/admin', ho.tokenRoleRequired(auth, 'admin'), (c) => c.json({ ok: true }))
  app.get('/token/fresh', ho.freshTokenRequired(auth), (c) => c.json({ ok: true }))
  app.get('/form', (c) => c.json({ csrf_token: ho.csrfToken(c) }))
  app.post('/form', ho.csrfProtect(), (c) => c.json({ ok: true }))
  return app
}

export function expressApp(auth: Auth): express.Express {
  const app = express()
  app.disable('x-powered-by')
  app.use(express.json({ limit: '64kb' }), express.urlencoded({ extended: false, limit: '64kb' }))
  app.use(ex.gatehouse(auth, { clientIp: (req) => (req.headers[TEST_IP] as string) ?? '192.0.2.1' }))
  const ctx = (req: express.Request) => req.gatehouse!.ctx
  app.post('/signup', async (req, res) => {
    const user = await auth.signUp(req.body, ctx(req))
    res.status(201).json({ user: toPublicUser(user) })
  })
  app.post('/login', async (req, res) => {
    const user = await auth.verifyLogin(req.body ?? {}, ctx(req))
    await ex.login(req, res, user, { remember: req.body?.remember === true })
    res.json({ user: toPublicUser(user) })
  })
  app.post('/logout', async (req, res) => {
    await ex.logout(req, res)
    res.status(204).end()
  })
  app.get('/private', ex.loginRequired(), (req, res) => {
    res.json({ user: toPublicUser(req.user!) })
  })
  app.get('/admin', ex.roleRequired('admin'), (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/editor', ex.permissionRequired('content:write'), (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/sessions', ex.loginRequired(), async (req, res) => {
    res.json({ sessions: await auth.listSessions(req.user!.id) })
  })
  app.delete('/sessions/:id', ex.loginRequired(), async (req, res) => {
    await auth.revokeSession(req.user!.id, String(req.params.id), ctx(req))
    res.status(204).end()
  })
  app.post('/password', ex.loginRequired(), async (req, res) => {
    const rotated = await auth.changePassword(
      req.user!,
      {
        currentPassword: String(req.body?.current_password ?? ''),
        newPassword: String(req.body?.new_password ?? ''),
      },
      req.authSession ?? null,
      ctx(req),
    )
    if (rotated) res.append('set-cookie', rotated.cookies)
    res.status(204).end()
  })
  app.get('/token', ex.tokenRequired(auth), (req, res) => {
    res.json({ identity: req.identity, roles: req.claims!.roles })
  })
  app.get('/token/admin', ex.tokenRoleRequired(auth, 'admin'), (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/token/fresh', ex.freshTokenRequired(auth), (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/form', (req, res) => {
    res.json({ csrf_token: ex.csrfToken(req, res) })
  })
  app.post('/form', ex.csrfProtect(), (_req, res) => {
    res.json({ ok: true })
  })
  app.use((error: unknown, req: express.Request, res: express.Response, next: express.NextFunction) => {
    // body-parser's errors carry a 4xx status: keep them 4xx with a stable code.
    const status = (error as { status?: number }).status
    if (!(error instanceof AuthError) && status && status < 500)
      return ex.authErrorHandler()(
        new AuthError(status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST'),
        req,
        res,
        next,
      )
    return ex.authErrorHandler()(error, req, res, next)
  })
  return app
}

/** Request → Response through Hono, with no socket. */
export function sendViaHono(app: Hono): Send {
  return async (request) => app.request(request)
}

/** Request → Response through Express, with no socket (light-my-request injects into the handler). */
export function sendViaExpress(app: express.Express): Send {
  return async (request) => {
    const url = new URL(request.url)
    const headers: Record<string, string> = {}
    request.headers.forEach((v, k) => {
      headers[k] = v
    })
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined
    const res = await inject(app as never, {
      method: request.method as 'GET',
      url: url.pathname + url.search,
      headers,
      ...(body ? { payload: body } : {}),
    })
    const out = new Headers()
    for (const [k, v] of Object.entries(res.headers)) {
      if (v === undefined) continue
      for (const item of Array.isArray(v) ? v : [String(v)]) out.append(k, item)
    }
    const nullBody = res.statusCode === 204 || res.statusCode === 304
    return new Response(nullBody ? null : new Uint8Array(res.rawPayload), {
      status: res.statusCode,
      headers: out,
    })
  }
}
