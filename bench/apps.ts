/**
 * The apps under test, written with the public adapter API the way a user would write them.
 * The bare and the authenticated app of a framework serve the same route with the same body;
 * the only difference is `gatehouse(auth)` in front and `loginRequired()` on the route.
 */
import express from 'express'
// The compiled package, as an app that installed it runs it (not the TypeScript sources).
import type { Auth } from 'gatehouse-auth'
import * as ex from 'gatehouse-auth/express'
import * as ho from 'gatehouse-auth/hono'
import { Hono } from 'hono'

const HELLO = { hello: 'world' } as const

export function honoBare(): Hono {
  const app = new Hono()
  app.get('/hello', (c) => c.json(HELLO))
  return app
}

/**
 * The bare route behind two middlewares that do nothing, one global and one on the route, as
 * gatehouse() and loginRequired() sit: what Hono's composition costs before either does any work.
 */
export function honoFloor(): Hono {
  const app = new Hono()
  app.use(async (_c, next) => {
    await next()
  })
  app.get(
    '/hello',
    async (_c, next) => {
      await next()
    },
    (c) => c.json(HELLO),
  )
  return app
}

export function honoAuth(auth: Auth): Hono {
  const app = new Hono()
  app.onError((error) => ho.authErrorHandler(error))
  app.use(ho.gatehouse(auth))
  app.get('/hello', ho.loginRequired(), (c) => c.json(HELLO))
  // Refusals (queue full) answered before the body, as the product server does.
  app.post('/login', ho.loginGate(auth), async (c) => {
    const body = await ho.jsonBody(c)
    const user = await auth.verifyLogin(body as never, c.get('gatehouseContext'))
    await ho.login(c, user)
    return c.json({ ok: true })
  })
  return app
}

/** The same route behind a bearer access token (tokenRequired), and POST /refresh. */
export function honoJwt(auth: Auth, checkRevocation: boolean): Hono {
  const app = new Hono()
  app.onError((error) => ho.authErrorHandler(error))
  app.get('/hello', ho.tokenRequired(auth, { checkRevocation }), (c) => c.json(HELLO))
  app.post('/refresh', async (c) => {
    const body = await ho.jsonBody(c)
    const pair = await auth.tokens!.refresh(String(body.refresh_token), (id) =>
      auth.stores.users.getUserById(id),
    )
    return c.json(pair)
  })
  return app
}

export function expressBare(): express.Express {
  const app = express()
  app.disable('x-powered-by')
  app.get('/hello', (_req, res) => {
    res.json(HELLO)
  })
  return app
}

export function expressAuth(auth: Auth): express.Express {
  const app = express()
  app.disable('x-powered-by')
  app.use(ex.gatehouse(auth))
  app.get('/hello', ex.loginRequired(), (_req, res) => {
    res.json(HELLO)
  })
  app.post('/login', ex.loginGate(auth), express.json({ limit: '16kb' }), async (req, res) => {
    const user = await auth.verifyLogin(req.body ?? {}, req.gatehouse!.ctx)
    await ex.login(req, res, user)
    res.json({ ok: true })
  })
  app.use(ex.authErrorHandler())
  return app
}
