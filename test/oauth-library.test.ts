/**
 * The oauth module without the server: createAuth with `oauth({ providers })`, its
 * framework-free routes mounted in an app's own Hono app next to the app's routes (as the
 * README shows), a sign-in against a real oidc-provider, and auth.providerToken.
 */
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as ho from '../src/adapters/hono.ts'
import { createAuth } from '../src/core/auth.ts'
import { fakeClock } from '../src/core/clock.ts'
import { oauth, oidcProvider } from '../src/core/methods/oauth/index.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
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

describe('oauth in an app’s own Hono app', () => {
  it('signs in through the mounted module routes and reads the provider token', async () => {
    const clock = fakeClock(Date.UTC(2026, 10, 23))
    const auth = await createAuth({
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

    const client = new Client((request) => Promise.resolve(app.request(request)))
    const { res } = await signInVia(client, idp.issuer, '/auth/oauth/corp?next=/whoami')
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/whoami')
    const who = await (await client.get('/whoami')).json()
    expect(who.email).toBe('ada@example.com')
    expect(who.roles.sort()).toEqual(['engineer', 'user'])
    const user = await auth.stores.users.getUserByEmail('ada@example.com')
    const token = await auth.providerToken(user!.id, 'corp')
    const info = await fetch(`${idp.issuer}/me`, { headers: { authorization: `Bearer ${token}` } })
    expect((await info.json()).email).toBe('ada@example.com')
    await auth.close()
  })
})
