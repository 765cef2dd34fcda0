/**
 * Redis goes away under a running `gatehouse serve` (its own redis-server on a free port,
 * killed and restarted on the same port): requests that need Redis answer 503
 * STORE_UNAVAILABLE with Retry-After within the timeout (never a 500, never a hang),
 * /readyz 503 naming Redis, /healthz 200, one log line for the outage and one for the
 * recovery, no "Unhandled error event" — and service resumes without restarting Gatehouse.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { createRedisStores } from '../src/stores/redis/index.ts'
import { underLoad } from './helpers/cluster.ts'
import {
  freePort,
  type GatehouseProcess,
  hasRedisServer,
  RedisProcess,
  spawnGatehouse,
  waitFor,
} from './helpers/processes.ts'

const available = hasRedisServer()
if (!available) console.warn('!! SKIPPING Redis outage tests: no redis-server binary')

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-outage-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The answer and how long it took (ms). */
async function timed(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; ms: number; res: Response }> {
  const start = performance.now()
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) })
  await res.clone().arrayBuffer()
  return { status: res.status, ms: performance.now() - start, res }
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

describe.skipIf(!available)('Redis outage under gatehouse serve', { timeout: 120_000 }, () => {
  it('answers 503 within 3 s while Redis is down, /readyz 503, /healthz 200, then recovers by itself', async () => {
    const redis = new RedisProcess(await freePort())
    await redis.start()
    let server: GatehouseProcess | null = null
    try {
      server = await spawnGatehouse({
        GATEHOUSE_DATA_DIR: dir,
        REDIS_URL: redis.url,
        GATEHOUSE_REDIS_PREFIX: 'outage-test:',
        GATEHOUSE_SECRET: 'redis-outage-test-secret-0123456789abcdef',
        GATEHOUSE_MODE: 'development',
      })
      const { url } = server
      const login = json({ login: 'outage', password: 'correct horse battery' })
      expect(
        (
          await timed(
            `${url}/api/auth/signup`,
            json({ email: 'o@example.com', username: 'outage', password: 'correct horse battery' }),
          )
        ).status,
      ).toBe(201)
      const first = await timed(`${url}/api/auth/login`, login)
      expect(first.status).toBe(200)
      const { access_token } = (await first.res.json()) as { access_token: string }
      const bearer = { headers: { authorization: `Bearer ${access_token}` } }
      expect((await timed(`${url}/api/me`, bearer)).status).toBe(200)

      await redis.stop()
      // Several rounds: the first while the client notices, the rest while it reconnects.
      for (let round = 0; round < 3; round++) {
        for (const [name, attempt] of [
          ['login', () => timed(`${url}/api/auth/login`, login)],
          ['bearer /api/me', () => timed(`${url}/api/me`, bearer)],
          ['readyz', () => timed(`${url}/readyz`)],
        ] as const) {
          const { status, ms, res } = await attempt()
          expect([name, status]).toEqual([name, 503])
          expect(ms, `${name} took ${ms} ms`).toBeLessThan(3000)
          expect(res.headers.get('retry-after'), name).toMatch(/^[1-9][0-9]*$/)
          const body = (await res.json()) as { error: { code: string }; stores?: string[] }
          expect(body.error.code).toBe('STORE_UNAVAILABLE')
          if (name === 'readyz') expect(body.stores).toEqual(['redis'])
        }
        expect((await timed(`${url}/healthz`)).status).toBe(200)
      }

      await redis.start()
      await waitFor(
        'readiness after Redis is back',
        async () => (await timed(`${url}/readyz`)).status === 200,
      )
      expect((await timed(`${url}/api/auth/login`, login)).status).toBe(200)
      expect((await timed(`${url}/api/me`, bearer)).status).toBe(200)

      const { out, err } = server.output()
      const log = out + err
      expect(log).not.toMatch(/Unhandled error event/)
      expect(log).not.toMatch(/\bat (async )?\S+ \(/) // no stack traces
      expect(log).not.toMatch(/failed: /) // no 500s
      expect(log.match(/a store is unavailable/g)?.length ?? 0).toBeLessThanOrEqual(1)
      expect(log.match(/is unreachable/g)).toHaveLength(1)
      expect(log.match(/is reachable again/g)).toHaveLength(1)
      expect(server.child.exitCode).toBeNull()
    } finally {
      await server?.kill()
      await redis.stop()
    }
  })

  it('starts while Redis is down: listening, 503 within 3 s, /healthz 200, ready once Redis is up', async () => {
    const redis = new RedisProcess(await freePort()) // not started yet
    let server: GatehouseProcess | null = null
    try {
      server = await spawnGatehouse({
        GATEHOUSE_DATA_DIR: join(dir, 'late'),
        REDIS_URL: redis.url,
        GATEHOUSE_REDIS_PREFIX: 'outage-late:',
        GATEHOUSE_SECRET: 'redis-outage-test-secret-0123456789abcdef',
        GATEHOUSE_MODE: 'development',
      })
      const { url } = server
      const login = json({ login: 'nobody', password: 'correct horse battery' })
      for (const [name, attempt] of [
        ['login', () => timed(`${url}/api/auth/login`, login)],
        ['readyz', () => timed(`${url}/readyz`)],
      ] as const) {
        const { status, ms } = await attempt()
        expect([name, status]).toEqual([name, 503])
        expect(ms, `${name} took ${ms} ms`).toBeLessThan(3000)
      }
      expect((await timed(`${url}/healthz`)).status).toBe(200)
      await redis.start()
      await waitFor('readiness once Redis is up', async () => (await timed(`${url}/readyz`)).status === 200)
      expect((await timed(`${url}/api/auth/login`, login)).status).toBe(401)
      const log = server.output().out + server.output().err
      expect(log).not.toMatch(/Unhandled error event/)
      expect(log.match(/is unreachable/g)).toHaveLength(1)
    } finally {
      await server?.kill()
      await redis.stop()
    }
  })

  it('stopped under load: only 200 and 503 within the timeout, no cached allow, /readyz 503; restarted: resumes', async () => {
    const redis = new RedisProcess(await freePort(), mkdtempSync(join(dir, 'aof-')))
    await redis.start()
    let server: GatehouseProcess | null = null
    try {
      server = await spawnGatehouse({
        GATEHOUSE_DATA_DIR: join(dir, 'load'),
        REDIS_URL: redis.url,
        GATEHOUSE_REDIS_PREFIX: 'outage-load:',
        GATEHOUSE_SECRET: 'redis-outage-test-secret-0123456789abcdef',
        GATEHOUSE_MODE: 'development',
      })
      const { url } = server
      const signup = await timed(
        `${url}/api/auth/signup`,
        json({ email: 'l@example.com', username: 'loaded', password: 'correct horse battery' }),
      )
      expect(signup.status).toBe(201)
      const cookie = signup.res.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ')
      const load = underLoad(() =>
        fetch(`${url}/api/me`, { headers: { cookie }, signal: AbortSignal.timeout(10_000) }),
      )
      await new Promise((resolve) => setTimeout(resolve, 500))
      load.setPhase('down')
      await redis.stop()
      await waitFor('readiness 503', async () => (await timed(`${url}/readyz`)).status === 503)
      // From here on the process knows: a 200 now could only come from a cache it must not trust.
      load.setPhase('known down')
      await new Promise((resolve) => setTimeout(resolve, 2000))
      load.setPhase('restarting')
      await redis.start()
      await waitFor(
        'readiness after Redis is back',
        async () => (await timed(`${url}/readyz`)).status === 200,
      )
      load.setPhase('back')
      await new Promise((resolve) => setTimeout(resolve, 500))
      const answers = await load.stop()
      expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([])
      expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(3000)
      const knownDown = answers.filter((a) => a.phase === 'known down')
      expect(knownDown.length).toBeGreaterThan(0)
      expect(knownDown.filter((a) => a.status !== 503)).toEqual([])
      expect(answers.filter((a) => a.phase === 'back').at(-1)?.status).toBe(200)
      expect(server.child.exitCode).toBeNull()
      expect(server.output().err + server.output().out).not.toMatch(/Unhandled error event|failed: /)
    } finally {
      await server?.kill()
      await redis.stop()
    }
  })

  it('createRedisStores: commands fail within the command timeout when Redis never answered, and close() returns', async () => {
    const port = await freePort() // nothing listens there
    const lines: string[] = []
    const redis = createRedisStores({
      url: `redis://127.0.0.1:${port}`,
      prefix: 'never:',
      users: createMemoryStores().users,
      commandTimeoutMs: 500,
      connectTimeoutMs: 500,
      logger: { warn: (m) => lines.push(m), info: (m) => lines.push(m) },
    })
    try {
      const start = performance.now()
      await expect(redis.kv.get('x')).rejects.toThrow()
      expect(performance.now() - start).toBeLessThan(1500)
      await expect(redis.ping()).rejects.toThrow()
      await waitFor('the outage line', async () => lines.length > 0, 3000)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/unreachable/)
    } finally {
      const start = performance.now()
      await redis.close()
      expect(performance.now() - start).toBeLessThan(1000)
    }
  })
})
