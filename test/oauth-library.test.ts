/**
 * The oauth module without the server: createAuth with `oauth({ providers })`, its
 * framework-free routes mounted in an app's own Hono or Express app next to the app's routes
 * (as the README shows), a sign-in against a real oidc-provider, and auth.providerToken.
 */
import express from 'express'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as ex from '../src/adapters/express.ts'
import * as ho from '../src/adapters/hono.ts'
import { type Auth, createAuth } from '../src/core/auth.ts'
import { fakeClock } from '../src/core/clock.ts'
import { oauth, oidcProvider } from '../src/core/methods/oauth/index.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { type Send, sendViaExpress } from './helpers/apps.ts'
import { Client } from './helpers/client.ts'
import { signInVia } from './helpers/oauth.ts'
import { type Idp, startIdp } from './helpers/oidc-provider.ts'

let idp: Idp
beforeAll(async () => {
  idp = await startIdp({
    clients: [
      {
        client_id: 'lib',
        client_secret: 'lib-secret-0123456789',
        redirect_uris: ['http://localhost:8000/auth/oauth/corp/callback'],
      },
    ],
    accounts: { ada: { email: 'ada@example.com', email_verified: true, name: 'Ada', groups: ['eng'] } },
  })
  idp.autoLogin = 'ada'
})
afterAll(() => idp.close())

async function libraryAuth(): Promise<Auth> {
  const clock = fakeClock(Date.UTC(2026, 10, 23))
  return createAuth({
    secret: 'library-test-secret-0123456789abcdef',
    mode: 'test',
    publicUrl: 'http://localhost:8000',
    stores: createMemoryStores({ clock }),
    clock,
    password: { memoryCost: 8192, timeCost: 1 },
    roles: { user: [], admin: ['*'], engineer: ['code:write'] },
    modules: [
      oauth({
        providers: [
          oidcProvider({
            id: 'corp',
            name: 'Corp SSO',
            issuer: idp.issuer,
            clientId: 'lib',
            clientSecret: 'lib-secret-0123456789',
            scope: 'openid email profile groups',
            groupsClaim: 'groups',
          }),
        ],
        groupRoles: [{ provider: 'corp', group: 'eng', role: 'engineer' }],
        allowHttp: true,
      }),
    ],
  })
}

function honoApp(auth: Auth): Send {
  const app = new Hono()
  app.onError((error) => ho.authErrorHandler(error))
  app.use(ho.gatehouse(auth))
  for (const { route } of auth.modules.routes)
    app.on(route.method, route.kind === 'api' ? `/api${route.path}` : route.path, (c) =>
      route.handle({
        auth,
        request: c.req.raw,
        ctx: c.get('gatehouseContext'),
        who: c.get('authenticated'),
        params: c.req.param() as Record<string, string>,
      }),
    )
  app.get('/whoami', ho.loginRequired(), (c) =>
    c.json({ email: c.get('user')!.email, roles: c.get('user')!.roles }),
  )
  return async (request) => app.request(request)
}

function expressApp(auth: Auth): Send {
  const app = express()
  app.use(ex.gatehouse(auth))
  for (const { route } of auth.modules.routes) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'delete'
    app[method](route.kind === 'api' ? `/api${route.path}` : route.path, async (req, res, next) => {
      try {
        const chunks: Buffer[] = []
        for await (const chunk of req) chunks.push(chunk as Buffer)
        const request = new Request(new URL(req.originalUrl, auth.options.publicUrl), {
          method: req.method,
          headers: req.headers as Record<string, string>,
          ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
        })
        const who = req.authenticated ?? null
        await ex.sendResponse(
          res,
          await route.handle({
            auth,
            request,
            ctx: req.gatehouse!.ctx,
            who,
            params: req.params as Record<string, string>,
          }),
        )
      } catch (error) {
        next(error)
      }
    })
  }
  app.get('/whoami', ex.loginRequired(), (req, res) => {
    res.json({ email: req.user!.email, roles: req.user!.roles })
  })
  app.use(ex.authErrorHandler())
  return sendViaExpress(app)
}

describe.each([
  ['Hono', honoApp],
  ['Express', expressApp],
])('oauth in an app’s own %s app', (_name, make) => {
  it('signs in through the mounted module routes and reads the provider token', async () => {
    const auth = await libraryAuth()
    const client = new Client(make(auth))
    const { res } = await signInVia(client, idp.issuer, '/auth/oauth/corp?next=/whoami')
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/whoami')
    const who = await (await client.get('/whoami')).json()
    expect(who.email).toBe('ada@example.com')
    expect(who.roles.sort()).toEqual(['engineer', 'user'])
    expect((await (await client.get('/api/me/providers')).json()).providers).toHaveLength(1)
    const bad = await client.get('/auth/oauth/corp/callback?state=forged&code=x')
    expect(bad.status).toBe(400)
    expect((await bad.json()).error.code).toBe('OAUTH_STATE_MISMATCH')
    const user = await auth.stores.users.getUserByEmail('ada@example.com')
    const token = await auth.providerToken(user!.id, 'corp')
    const info = await fetch(`${idp.issuer}/me`, { headers: { authorization: `Bearer ${token}` } })
    expect((await info.json()).email).toBe('ada@example.com')
    await auth.close()
  })
})
