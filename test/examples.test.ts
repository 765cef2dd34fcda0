/** The README's quick-start apps, run as written (they import the package by its name). */
import { describe, expect, it } from 'vitest'
import { createApp as createExpressApp } from '../examples/express-app.ts'
import { createApp as createHonoApp } from '../examples/hono-app.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { type Send, sendViaExpress, sendViaHono } from './helpers/apps.ts'
import { Client } from './helpers/client.ts'

process.env.PUBLIC_URL = 'http://localhost:8000'
const ADA = { email: 'ada@example.com', username: 'ada', password: 'correct horse battery staple' }

async function honoApp() {
  const { app, auth } = await createHonoApp(createMemoryStores())
  return { send: sendViaHono(app), auth }
}
async function expressApp() {
  const { app, auth } = await createExpressApp(createMemoryStores())
  return { send: sendViaExpress(app), auth }
}

describe.each([
  ['Hono', honoApp],
  ['Express', expressApp],
])(
  'the README %s example',
  (_name, build: () => Promise<{ send: Send; auth: { close(): Promise<void> } }>) => {
    it('signs up through the mount, guards the app routes, validates its own input, logs out', async () => {
      const { send, auth } = await build()
      const c = new Client(send)
      expect((await c.get('/private')).status).toBe(401)
      expect((await c.post('/auth/api/auth/signup', ADA)).status).toBe(201)
      expect(await (await c.get('/private')).text()).toBe('Hello ada')
      expect((await c.get('/admin')).status).toBeGreaterThanOrEqual(403)
      // The app's own route answers bad input with 400 and a stable code, never a note named "undefined".
      const bad = await c.post('/notes', { title: 42 })
      expect(bad.status).toBe(400)
      expect((await bad.json()).error.code).toBe('VALIDATION_FAILED')
      const good = await c.post('/notes', { title: ' Groceries ' })
      expect(good.status).toBe(201)
      expect((await good.json()).note).toEqual({ title: 'Groceries', owner: 'ada' })
      expect((await c.post('/auth/api/auth/logout-all')).status).toBe(204)
      expect((await c.get('/private')).status).toBe(401)
      const wrong = await c.post('/auth/api/auth/login', { login: 'ada', password: 'wrong wrong wrong' })
      expect((await wrong.json()).error.code).toBe('INVALID_CREDENTIALS')
      await auth.close()
    })
  },
)
