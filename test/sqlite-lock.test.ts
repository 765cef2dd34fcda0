/**
 * A SQLite database locked by another process must not freeze the server: the write waits
 * off the event loop (short busy timeout, setTimeout backoff), /healthz keeps answering,
 * and past the bound the write answers 503 STORE_UNAVAILABLE with Retry-After.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSqlStores } from '../src/stores/sql/index.ts'
import { Client } from './helpers/client.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

const PASSWORD = 'correct horse battery staple'

let dir: string
let file: string
let other: SQLite.Database
let s: TestServer

async function serverOnFile(busyWaitMs: number): Promise<TestServer> {
  const stores = await createSqlStores({ url: `sqlite:${file}`, busyWaitMs })
  return createTestServer({ stores })
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-lock-'))
  file = join(dir, 'gatehouse.db')
})
afterEach(async () => {
  if (other?.inTransaction) other.exec('rollback')
  other?.close()
  await s?.close()
  await rm(dir, { recursive: true, force: true })
})

/** Another process's connection taking the write lock and keeping it until released. */
function holdWriteLock(): () => void {
  other = new SQLite(file)
  other.pragma('busy_timeout = 0')
  other.exec('begin immediate')
  return () => other.exec('commit')
}

async function healthzLatency(): Promise<number> {
  const started = performance.now()
  const res = await s.send(new Request('http://localhost:8000/healthz'))
  expect(res.status).toBe(200)
  return performance.now() - started
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs `write` while the lock is held: /healthz stays fast and the write waits; then releases. */
async function whileLocked(write: () => Promise<Response>): Promise<Response> {
  const release = holdWriteLock()
  let settled = false
  const pending = write().finally(() => {
    settled = true
  })
  const latencies: number[] = []
  for (let i = 0; i < 10; i++) {
    latencies.push(await healthzLatency())
    await pause(20)
  }
  expect(settled).toBe(false)
  expect(Math.max(...latencies)).toBeLessThan(50)
  release()
  return pending
}

describe('a SQLite write lock held by another connection', () => {
  it('a login while another connection holds the lock leaves /healthz answering, and succeeds once the lock is released', async () => {
    s = await serverOnFile(10_000)
    const signedUp = await new Client(s.send).post('/api/auth/signup', {
      email: 'carol@example.com',
      username: 'carol',
      password: PASSWORD,
    })
    expect(signedUp.status).toBe(201)
    const c = new Client(s.send)
    const res = await whileLocked(() => c.post('/api/auth/login', { login: 'carol', password: PASSWORD }))
    expect(res.status).toBe(200)
    expect((await s.services.auth.stores.users.getUserByUsername('carol'))?.lastLoginAt).not.toBeNull()
  })

  it('a sign-up (a transaction) while another connection holds the lock waits for it and then succeeds', async () => {
    s = await serverOnFile(10_000)
    const res = await whileLocked(() =>
      new Client(s.send).post('/api/auth/signup', {
        email: 'lock@example.com',
        username: 'locked',
        password: PASSWORD,
      }),
    )
    expect(res.status).toBe(201)
    expect(await s.services.auth.stores.users.getUserByUsername('locked')).not.toBeNull()
  })

  it('a write waiting longer than the bound answers 503 STORE_UNAVAILABLE with Retry-After', async () => {
    s = await serverOnFile(150)
    holdWriteLock()
    const res = await new Client(s.send).post('/api/auth/signup', {
      email: 'late@example.com',
      username: 'late',
      password: PASSWORD,
    })
    expect(res.status).toBe(503)
    expect((await res.json()).error.code).toBe('STORE_UNAVAILABLE')
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
  })

  it('reads keep working while a transaction waits for the lock', async () => {
    s = await serverOnFile(10_000)
    const alice = new Client(s.send)
    const signedUp = await alice.post('/api/auth/signup', {
      email: 'alice@example.com',
      username: 'alice',
      password: PASSWORD,
    })
    expect(signedUp.status).toBe(201)
    const release = holdWriteLock()
    let settled = false
    const pending = new Client(s.send)
      .post('/api/auth/signup', { email: 'bob@example.com', username: 'bob', password: PASSWORD })
      .finally(() => {
        settled = true
      })
    await pause(50)
    // The session lookup is a read: WAL serves it while the write lock is held elsewhere.
    const me = await alice.get('/api/me')
    expect(me.status).toBe(200)
    expect(settled).toBe(false)
    release()
    expect((await pending).status).toBe(201)
  })
})
