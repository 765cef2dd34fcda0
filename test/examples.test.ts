/** The README's quick-start apps, run as written (they import the package by its name). */
import { describe, expect, it } from 'vitest'
import { createApp as createExpressApp } from '../examples/express-app.ts'
import { createApp as createHonoApp } from '../examples/hono-app.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { sendViaExpress, sendViaHono } from './helpers/apps.ts'
import { Client } from './helpers/client.ts'

process.env.PUBLIC_URL = 'http://localhost:8000'

describe('README examples', () => {
  it('the Hono app signs up, logs in, guards routes and forms', async () => {
    const { app, auth } = await createHonoApp(createMemoryStores())
    const c = new Client(sendViaHono(app))
    const signup = await c.post('/signup', {
      email: 'ada@example.com',
      username: 'ada',
      password: 'correct horse battery staple',
    })
    expect(signup.status).toBe(201)
    expect(await (await c.get('/private')).text()).toBe('Hello ada')
    expect((await c.get('/admin')).status).toBe(403)
    expect(
      (
        await c.request('POST', '/form', {
          body: 'csrf_token=nope',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
      ).status,
    ).toBe(403)
    const token = /value="([^"]+)"/.exec(await (await c.get('/form')).text())![1]!
    const ok = await c.request('POST', '/form', {
      body: `csrf_token=${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(ok.status).toBe(200)
    expect((await c.post('/logout')).status).toBe(204)
    expect((await c.get('/private')).status).toBe(401)
    const bad = await c.post('/login', { login: 'ada', password: 'wrong wrong wrong' })
    expect((await bad.json()).error.code).toBe('INVALID_CREDENTIALS')
    await auth.close()
  })

  it('the Express app logs in and guards routes', async () => {
    const stores = createMemoryStores()
    const { app, auth } = await createExpressApp(stores)
    await auth.signUp({ email: 'bo@example.com', username: 'bob', password: 'correct horse battery staple' })
    const c = new Client(sendViaExpress(app))
    expect((await c.get('/private')).status).toBe(401)
    expect((await c.post('/login', { login: 'bob', password: 'correct horse battery staple' })).status).toBe(
      200,
    )
    expect(await (await c.get('/private')).text()).toBe('Hello bob')
    expect((await c.get('/reports')).status).toBe(403)
    await auth.close()
  })
})
