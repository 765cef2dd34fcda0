// The README's "Add login to your Hono app", runnable: `npx tsx examples/hono-app.ts`.
import { serve } from '@hono/node-server'
import { createAuth, type Stores, toPublicUser } from 'gatehouse-auth'
import {
  authErrorHandler,
  csrfProtect,
  csrfToken,
  gatehouse,
  jsonBody,
  login,
  loginRequired,
  logout,
  roleRequired,
} from 'gatehouse-auth/hono'
import { createSqlStores } from 'gatehouse-auth/stores/sql'
import { Hono } from 'hono'

export async function createApp(stores?: Stores) {
  const auth = await createAuth({
    secret: process.env.GATEHOUSE_SECRET, // ≥ 32 chars; required in production
    publicUrl: process.env.PUBLIC_URL ?? 'http://localhost:3000', // cookies, CSRF origin, links
    stores: stores ?? (await createSqlStores({ url: 'sqlite:data/app.db' })), // or postgres://…
  })

  const app = new Hono()
  app.use(gatehouse(auth)) // sets c.var.user / c.var.session; Origin check on unsafe requests

  app.post('/signup', async (c) => {
    const body = await jsonBody(c)
    const user = await auth.signUp(
      { email: String(body.email), username: String(body.username), password: String(body.password) },
      c.var.gatehouseContext,
    )
    await login(c, user)
    return c.json({ user: toPublicUser(user) }, 201)
  })
  app.post('/login', async (c) => {
    const body = await jsonBody(c)
    const user = await auth.verifyLogin(
      { login: String(body.login), password: String(body.password) },
      c.var.gatehouseContext,
    )
    await login(c, user, { remember: body.remember === true })
    return c.json({ user: toPublicUser(user) })
  })
  app.post('/logout', async (c) => {
    await logout(c)
    return c.body(null, 204)
  })
  app.get('/private', loginRequired(), (c) => c.text(`Hello ${c.var.user!.username}`))
  app.get('/admin', roleRequired('admin'), (c) => c.text('admins only'))
  app.get('/form', (c) =>
    c.html(
      `<form method="post"><input type="hidden" name="csrf_token" value="${csrfToken(c)}"><button>Go</button></form>`,
    ),
  )
  app.post('/form', csrfProtect(), (c) => c.text('ok'))
  // AuthError → {"error":{"code","message"}} + status; any other error is logged with its stack → 500
  app.onError(authErrorHandler())
  return { app, auth }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app } = await createApp()
  serve({ fetch: app.fetch, port: 3000 }, () => console.log('http://localhost:3000'))
}
