// The README's "Add login to your Hono app", with a route of the app's own that validates its
// input (400 VALIDATION_FAILED, not `String(body.title)`). Run: `npx tsx examples/hono-app.ts`;
// test/examples.test.ts drives it.
import { serve } from '@hono/node-server'
import { AuthError, createAuth, type Stores } from 'gatehouse-auth'
import {
  authErrorHandler,
  gatehouse,
  gatehouseRoutes,
  jsonBody,
  loginRequired,
  roleRequired,
} from 'gatehouse-auth/hono'
import { Hono } from 'hono'

export async function createApp(stores?: Stores) {
  const auth = await createAuth({
    publicUrl: process.env.PUBLIC_URL ?? 'http://localhost:3000', // cookies, CSRF origin, links
    loginPath: '/auth/login', // where loginRequired() sends browsers: the mounted page
    stores, // default: DATABASE_URL, else SQLite in ./data/gatehouse.db (the CLI's default)
  })
  const app = new Hono()
  app.use(gatehouse(auth)).route('/auth', gatehouseRoutes(auth, { pages: true }))
  app.get('/private', loginRequired(), (c) => c.text(`Hello ${c.get('user')?.username}`))
  app.get('/admin', roleRequired('admin'), (c) => c.text('admins only'))
  app.post('/notes', loginRequired(), async (c) => {
    const { title } = await jsonBody(c)
    if (typeof title !== 'string' || title.trim() === '' || title.length > 200)
      throw new AuthError('VALIDATION_FAILED', {
        fields: { title: 'Enter a title (at most 200 characters).' },
      })
    return c.json({ note: { title: title.trim(), owner: c.get('user')!.username } }, 201)
  })
  // AuthError → {"error":{"code","message"}} + status; any other error is logged with its stack → 500
  app.onError(authErrorHandler())
  return { app, auth }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app } = await createApp()
  serve({ fetch: app.fetch, port: 3000 }, () => console.log('http://localhost:3000'))
}
