/**
 * Per-session storage (issue 14): `session.data` through the Hono and Express adapters and
 * through Auth, stored with the session in every store (the contract suite covers the
 * stores' half), saved once at the end of a request and only when something changed.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as ex from '../src/adapters/express.ts'
import { authErrorHandler as expressErrorHandler } from '../src/adapters/express.ts'
import * as ho from '../src/adapters/hono.ts'
import { type Auth, createAuth } from '../src/core/auth.ts'
import { fakeClock } from '../src/core/clock.ts'
import { SessionDataBag } from '../src/core/session-data.ts'
import type { Stores } from '../src/stores/contracts.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { composeStores } from '../src/stores/redis/compose.ts'
import { createRedisStores } from '../src/stores/redis/index.ts'
import { createSqlStores } from '../src/stores/sql/index.ts'
import { expressApp, honoApp, type Send, sendViaExpress, sendViaHono } from './helpers/apps.ts'
import { Client, ORIGIN } from './helpers/client.ts'
import { probeRedis, requireService } from './helpers/services.ts'
import { REDIS_URL } from './helpers/stores.ts'

// Declaration merging types the keys an app uses, as README "Session data" shows it.
declare module 'gatehouse-auth' {
  interface SessionData {
    cart: string[]
  }
}

const PASSWORD = 'correct horse battery staple'
const redisUp = await requireService('Redis', probeRedis(REDIS_URL))

/** The stores with a counter on setSessionData (every data write goes through it). */
function counted(stores: Stores): { stores: Stores; writes: () => number } {
  let writes = 0
  const sessions = stores.sessions
  const original = sessions.setSessionData.bind(sessions)
  sessions.setSessionData = (id, json) => {
    writes++
    return original(id, json)
  }
  return { stores, writes: () => writes }
}

function makeAuth(stores: Stores, clock = fakeClock()): Promise<Auth> {
  return createAuth({
    secret: 'session-data-test-secret-0123456789abcdef',
    mode: 'test',
    publicUrl: ORIGIN,
    stores,
    clock,
    password: { memoryCost: 8192, timeCost: 1 },
    session: { dataMaxBytes: 1024 },
  })
}

/** The shared test app plus routes that use session.data, for one framework. */
function appFor(framework: 'hono' | 'express', auth: Auth): Send {
  if (framework === 'hono') {
    const app = honoApp(auth)
    app.get('/data/:key', (c) => c.json({ value: c.get('session')?.data.get(c.req.param('key')) ?? null }))
    app.put('/data/:key', async (c) => {
      c.get('session')!.data.set(c.req.param('key'), (await c.req.json()).value)
      return c.body(null, 204)
    })
    app.delete('/data/:key', (c) => c.json({ deleted: c.get('session')!.data.delete(c.req.param('key')) }))
    app.post('/cart', async (c) => {
      const data = c.get('session')!.data
      data.set('cart', [...(data.get('cart') ?? []), String((await c.req.json()).item)])
      return c.json({ cart: data.get('cart') })
    })
    app.post('/login-and-greet', async (c) => {
      const user = await auth.verifyLogin((await c.req.json()) as never, c.get('gatehouseContext'))
      await ho.login(c, user)
      c.get('session')!.data.set('greeting', 'hello')
      return c.body(null, 204)
    })
    return sendViaHono(app)
  }
  const app = expressApp(auth)
  const router = app
  router.get('/data/:key', (req, res) => {
    res.json({ value: req.authSession?.data.get(req.params.key) ?? null })
  })
  router.put('/data/:key', (req, res, next) => {
    try {
      req.authSession!.data.set(req.params.key, req.body.value)
      res.status(204).end()
    } catch (error) {
      next(error)
    }
  })
  router.delete('/data/:key', (req, res) => {
    res.json({ deleted: req.authSession!.data.delete(req.params.key) })
  })
  router.post('/cart', (req, res) => {
    const data = req.authSession!.data
    data.set('cart', [...(data.get('cart') ?? []), String(req.body.item)])
    res.json({ cart: data.get('cart') })
  })
  router.post('/login-and-greet', async (req, res, next) => {
    try {
      const user = await auth.verifyLogin(req.body, req.gatehouse!.ctx)
      await ex.login(req, res, user)
      req.authSession!.data.set('greeting', 'hello')
      res.status(204).end()
    } catch (error) {
      next(error)
    }
  })
  // The shared app's error handler comes before these routes: one more after them.
  router.use(expressErrorHandler())
  return sendViaExpress(app)
}

async function signedIn(send: Send, auth: Auth, email = 'ada@example.com'): Promise<Client> {
  await auth.signUp({ email, username: email.split('@')[0]!, password: PASSWORD }, {})
  const c = new Client(send)
  expect((await c.post('/login', { login: email, password: PASSWORD })).status).toBe(200)
  return c
}

async function read(c: Client, key: string): Promise<unknown> {
  const res = await c.get(`/data/${key}`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { value: unknown }).value
}

const put = (c: Client, key: string, value: unknown) => c.request('PUT', `/data/${key}`, { json: { value } })

describe.each(['hono', 'express'] as const)('session.data through %s', (framework) => {
  let auth: Auth | undefined
  afterEach(async () => {
    await auth?.close()
    auth = undefined
  })

  it('a value set on one request is read on the next; a delete is seen too', async () => {
    const { stores, writes } = counted(createMemoryStores())
    auth = await makeAuth(stores)
    const c = await signedIn(appFor(framework, auth), auth)
    expect((await put(c, 'theme', { dark: true, size: 2 })).status).toBe(204)
    expect(await read(c, 'theme')).toEqual({ dark: true, size: 2 })
    expect(await (await c.post('/cart', { item: 'apple' })).json()).toEqual({ cart: ['apple'] })
    expect(await (await c.post('/cart', { item: 'pear' })).json()).toEqual({ cart: ['apple', 'pear'] })
    expect(await read(c, 'cart')).toEqual(['apple', 'pear'])
    expect(writes()).toBe(3)
    expect(await (await c.delete('/data/theme')).json()).toEqual({ deleted: true })
    expect(await read(c, 'theme')).toBeNull()
    expect(writes()).toBe(4)
  })

  it('a request that changed nothing writes nothing (reads, the same value again, a missing delete)', async () => {
    const { stores, writes } = counted(createMemoryStores())
    auth = await makeAuth(stores)
    const c = await signedIn(appFor(framework, auth), auth)
    await put(c, 'n', 1)
    expect(writes()).toBe(1)
    await read(c, 'n')
    await put(c, 'n', 1)
    await c.delete('/data/never-set')
    await c.get('/private')
    expect(writes()).toBe(1)
  })

  it('data over the limit is refused with SESSION_DATA_TOO_LARGE and nothing is stored', async () => {
    const { stores, writes } = counted(createMemoryStores())
    auth = await makeAuth(stores)
    const c = await signedIn(appFor(framework, auth), auth)
    await put(c, 'small', 'ok')
    const res = await put(c, 'big', 'x'.repeat(2000))
    expect(res.status).toBe(413)
    expect((await res.json()).error.code).toBe('SESSION_DATA_TOO_LARGE')
    expect(await read(c, 'big')).toBeNull()
    expect(await read(c, 'small')).toBe('ok')
    expect(writes()).toBe(1)
  })

  it('the data ends with the session: gone after logout, a new login starts empty', async () => {
    const stores = createMemoryStores()
    auth = await makeAuth(stores)
    const send = appFor(framework, auth)
    const c = await signedIn(send, auth)
    await put(c, 'secret', 'only for this session')
    const [session] = await stores.sessions.listUserSessions((await auth.findUserByLogin('ada'))!.id)
    expect((await stores.sessions.getSessionWithUser(session!.id))?.session.dataJson).toContain('only for')
    expect((await c.post('/logout')).status).toBe(204)
    expect(await stores.sessions.getSessionWithUser(session!.id)).toBeNull()
    expect(await read(c, 'secret')).toBeNull()
    expect((await c.post('/login', { login: 'ada', password: PASSWORD })).status).toBe(200)
    expect(await read(c, 'secret')).toBeNull()
  })

  it('a save the store cannot take answers 503 STORE_UNAVAILABLE, not a silent loss', async () => {
    const stores = createMemoryStores()
    auth = await makeAuth(stores)
    const c = await signedIn(appFor(framework, auth), auth)
    stores.sessions.setSessionData = async () => {
      throw new Error('connection refused')
    }
    const res = await put(c, 'k', 'v')
    expect(res.status).toBe(503)
    expect((await res.json()).error.code).toBe('STORE_UNAVAILABLE')
  })

  it("data set right after login() belongs to the new session, and the old session's does not follow", async () => {
    auth = await makeAuth(createMemoryStores())
    const c = await signedIn(appFor(framework, auth), auth)
    await put(c, 'before', 'old session')
    expect((await c.post('/login-and-greet', { login: 'ada', password: PASSWORD })).status).toBe(204)
    expect(await read(c, 'greeting')).toBe('hello')
    expect(await read(c, 'before')).toBeNull()
  })

  it("one session's data is not another's", async () => {
    auth = await makeAuth(createMemoryStores())
    const send = appFor(framework, auth)
    const ada = await signedIn(send, auth)
    const bob = await signedIn(send, auth, 'bob@example.com')
    await put(ada, 'who', 'ada')
    expect(await read(bob, 'who')).toBeNull()
    expect(await read(ada, 'who')).toBe('ada')
  })
})

describe('session.data survives a restart and lives where the sessions live', () => {
  it('SQLite file: set, restart the server (new stores, new Auth), read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-data-'))
    const url = `sqlite:${join(dir, 'g.db')}`
    try {
      const first = await makeAuth(await createSqlStores({ url }))
      const c = await signedIn(appFor('hono', first), first)
      await put(c, 'cart', ['book'])
      await first.close()
      const second = await makeAuth(await createSqlStores({ url }))
      const again = new Client(appFor('hono', second))
      for (const [k, v] of c.jar) again.jar.set(k, v)
      expect(await read(again, 'cart')).toEqual(['book'])
      await second.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it.runIf(redisUp)(
    'Redis holds sessions: the data is in the session hash, and survives a restart',
    async () => {
      const prefix = `gh-test:data:${Math.random().toString(36).slice(2)}:`
      const sql = await createSqlStores({ url: 'sqlite::memory:' })
      const open = () => createRedisStores({ url: REDIS_URL, prefix, users: sql.users })
      const redis = open()
      // Redis expires keys by its own clock: the sessions' deadlines must be real times.
      const auth = await makeAuth(composeStores(sql, redis), fakeClock(Date.now()))
      let restarted: ReturnType<typeof open> | undefined
      try {
        const c = await signedIn(appFor('express', auth), auth)
        await put(c, 'step', 3)
        const keys = await redis.redis.keys(`${prefix}session:*`)
        expect(keys).toHaveLength(1)
        expect(await redis.redis.hget(keys[0]!, 'data')).toBe('{"step":3}')
        // A second process on the same Redis (its own Auth, no shared cache) reads it.
        restarted = open()
        const other = await makeAuth(composeStores(sql, restarted), fakeClock(Date.now()))
        const again = new Client(appFor('hono', other))
        for (const [k, v] of c.jar) again.jar.set(k, v)
        expect(await read(again, 'step')).toBe(3)
        await c.post('/logout')
        expect(await redis.redis.keys(`${prefix}session:*`)).toEqual([])
      } finally {
        await redis.clear()
        await Promise.all([redis.close(), restarted?.close(), sql.close()])
      }
    },
  )
})

describe('session.data without an adapter (Auth) and its rules', () => {
  it('auth.sessionData(session): get/set/delete, then save() writes once', async () => {
    const { stores, writes } = counted(createMemoryStores())
    const auth = await makeAuth(stores)
    const user = await auth.signUp({ email: 'ada@example.com', username: 'ada', password: PASSWORD }, {})
    const { session } = await auth.startSession(user)
    const data = auth.sessionData(session)
    // @ts-expect-error: `cart` is declared as string[] (declaration merging)
    expect(() => data.set('cart', 5)).not.toThrow()
    const cart: string[] | undefined = data.get('cart')
    expect(cart).toBe(5)
    data.set('cart', ['a'])
    data.set('note', 'x')
    data.delete('note')
    expect(await data.save()).toBe(true)
    expect(await data.save()).toBe(false)
    expect(writes()).toBe(1)
    const fresh = (await stores.sessions.getSessionWithUser(session.id))!.session
    expect(auth.sessionData(fresh).get('cart')).toEqual(['a'])
    // Deleting every key removes the data altogether.
    const again = auth.sessionData(fresh)
    again.clear()
    await again.save()
    expect((await stores.sessions.getSessionWithUser(session.id))!.session.dataJson).toBeUndefined()
    await auth.close()
  })

  it('a live session serialises and spreads as its record, without `data`; the record is left unchanged', async () => {
    const auth = await makeAuth(createMemoryStores())
    const user = await auth.signUp({ email: 'live@example.com', username: 'live', password: PASSWORD }, {})
    const { session } = await auth.startSession(user)
    const live = auth.liveSession(session)
    expect(live.data.get('x')).toBeUndefined()
    expect(JSON.parse(JSON.stringify(live))).toEqual(JSON.parse(JSON.stringify(session)))
    expect(Object.keys(live).sort()).toEqual(Object.keys(session).sort())
    expect('data' in { ...live }).toBe(false)
    expect('data' in session).toBe(false)
    expect(auth.liveSession(live)).toBe(live)
    // One bag per record through sessionData(): set in one call, saved through another.
    auth.sessionData(session).set('k', 1)
    expect(await auth.sessionData(session).save()).toBe(true)
    expect((await auth.stores.sessions.getSessionWithUser(session.id))!.session.dataJson).toBe('{"k":1}')
    await auth.close()
  })

  it('values are copies, non-JSON values are refused, a damaged stored value reads as empty', () => {
    const saved: (string | null)[] = []
    const bag = new SessionDataBag('s', '{"list":[1]}', 1024, async (_id, json) => void saved.push(json))
    const list = bag.get('list') as number[]
    list.push(2)
    expect(bag.get('list')).toEqual([1])
    expect(bag.dirty).toBe(false)
    expect(() => bag.set('f', (() => 1) as never)).toThrow(TypeError)
    expect(() => bag.set('u', undefined as never)).toThrow(TypeError)
    expect(() => bag.set('b', 1n as never)).toThrow(TypeError)
    expect(bag.dirty).toBe(false)
    for (const damaged of ['{not json', '[1,2]', '"text"', 'null'])
      expect(new SessionDataBag('s', damaged, 1024, async () => {}).keys()).toEqual([])
    // Setting a key back to its stored value before the end of the request writes nothing.
    bag.set('list', [9])
    bag.set('list', [1])
    return bag.save().then((wrote) => {
      expect(wrote).toBe(false)
      expect(saved).toEqual([])
    })
  })

  it('the size limit counts the whole session, in UTF-8 bytes', () => {
    const bag = new SessionDataBag('s', undefined, 256, async () => {})
    bag.set('a', 'x'.repeat(100))
    // 100 × 'é' is 200 bytes: with the first key the data passes 256.
    expect(() => bag.set('b', 'é'.repeat(100))).toThrow(
      expect.objectContaining({ code: 'SESSION_DATA_TOO_LARGE' }),
    )
    expect(bag.has('b')).toBe(false)
    bag.delete('a')
    bag.set('b', 'é'.repeat(100))
    expect(bag.get('b')).toHaveLength(100)
  })
})
