/**
 * SECURITY.md hostile case 25: `kill -9` of a `gatehouse serve` process in the middle of a
 * burst of sign-ups, password changes and refresh-token rotations, on SQLite, on PostgreSQL and
 * on Redis (sessions and tokens; users in SQLite). After a restart on the same stores:
 * - no half-written user: an account either signs in with all of it (its role included) or does
 *   not exist at all (its email and username are free again);
 * - no lost committed session: every session whose creation was answered still works, and so
 *   does every password change that was answered (new password in, old out, its new cookie on);
 *   an unanswered change left exactly one of the two passwords working;
 * - no spendable spent refresh token: a token whose rotation was answered cannot be spent again,
 *   and the newest answered token of an idle family still works.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cheapHashingConfig, createPgDatabase, OriginClient } from './helpers/cluster.ts'
import {
  freePort,
  type GatehouseProcess,
  hasRedisServer,
  RedisProcess,
  spawnGatehouse,
} from './helpers/processes.ts'
import { probePostgres, requireService } from './helpers/services.ts'
import { PG_URL } from './helpers/stores.ts'

const pgUp = await requireService('PostgreSQL', probePostgres(PG_URL))
const redisUp = hasRedisServer()
const OLD = 'correct horse battery staple'
const NEW = 'a brand new passphrase here'

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-crash-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Backend {
  name: string
  skip: boolean
  /** The store settings, and how to remove them afterwards. */
  open(): Promise<{ env: Record<string, string>; close(): Promise<void> }>
}

const backends: Backend[] = [
  {
    name: 'SQLite',
    skip: false,
    open: async () => ({
      env: { DATABASE_URL: `sqlite:${join(mkdtempSync(join(dir, 'lite-')), 'g.db')}` },
      close: async () => {},
    }),
  },
  {
    name: 'PostgreSQL',
    skip: !pgUp,
    open: async () => {
      const db = await createPgDatabase()
      return { env: { DATABASE_URL: db.url }, close: () => db.drop() }
    },
  },
  {
    name: 'Redis',
    skip: !redisUp,
    open: async () => {
      const redis = new RedisProcess(await freePort(), mkdtempSync(join(dir, 'aof-')))
      await redis.start()
      return {
        env: { DATABASE_URL: `sqlite:${join(mkdtempSync(join(dir, 'r-')), 'g.db')}`, REDIS_URL: redis.url },
        close: () => redis.stop(),
      }
    },
  },
]

const post = (c: OriginClient, path: string, json: unknown, token?: string) =>
  c.send(null, 'POST', path, { json, headers: token ? { authorization: `Bearer ${token}` } : {} })

async function login(origin: string, username: string, password: string): Promise<Response> {
  return post(new OriginClient(origin), '/api/auth/login', { login: username, password })
}

describe.each(backends)('kill -9 during a burst, on $name', ({ name, skip, open }) => {
  it.skipIf(skip)(
    'leaves no half-written user, no lost session, no spendable spent refresh token',
    { timeout: 240_000 },
    async () => {
      const stores = await open()
      const env = {
        ...stores.env,
        GATEHOUSE_DATA_DIR: dir,
        GATEHOUSE_CONFIG: cheapHashingConfig(dir, { signup: { perIpPerHour: 0 } }),
        GATEHOUSE_SECRET: 'crash-safety-test-secret-0123456789abcdef',
        GATEHOUSE_MODE: 'development',
        GATEHOUSE_EMAIL_VERIFICATION: 'off',
        GATEHOUSE_REDIS_PREFIX: 'crash:',
      }
      let server: GatehouseProcess | null = null
      try {
        const port = await freePort()
        const serve = () =>
          spawnGatehouse(env, { args: ['bin/gatehouse.js', 'serve', '--port', String(port)] })
        server = await serve()
        const origin = server.publicUrl.replace(/\/$/, '')
        const tag = name.toLowerCase()

        // Before the burst: accounts whose password will change, and token families to rotate.
        const changers: { username: string; client: OriginClient; answered: boolean }[] = []
        const families: { spent: string[]; latest: string; inFlight: boolean }[] = []
        for (let i = 0; i < 6; i++) {
          const client = new OriginClient(origin)
          const username = `${tag}pw${i}`
          const r = await post(client, '/api/auth/signup', {
            email: `${username}@example.com`,
            username,
            password: OLD,
          })
          expect(r.status).toBe(201)
          changers.push({ username, client, answered: false })
          // Other accounts hold the token families: a password change ends its user's tokens.
          const holder = `${tag}rt${i}`
          const h = await post(new OriginClient(origin), '/api/auth/signup', {
            email: `${holder}@example.com`,
            username: holder,
            password: OLD,
          })
          expect(h.status).toBe(201)
          const pair = (await (await login(origin, holder, OLD)).json()) as { refresh_token: string }
          families.push({ spent: [], latest: pair.refresh_token, inFlight: false })
        }

        // The burst: sign-ups, password changes and rotations all at once; kill -9 in the middle.
        const signups: { username: string; client: OriginClient; answered: boolean }[] = []
        let running = true
        // Statuses other than the expected ones, asserted after the burst (not inside its loops).
        const wrong: string[] = []
        const signupLoop = async (w: number) => {
          for (let i = 0; running; i++) {
            const client = new OriginClient(origin)
            const s = { username: `${tag}s${w}x${i}`, client, answered: false }
            signups.push(s)
            const r = await post(client, '/api/auth/signup', {
              email: `${s.username}@example.com`,
              username: s.username,
              password: OLD,
            }).catch(() => null)
            if (!r) return
            if (r.status !== 201) wrong.push(`signup ${r.status}`)
            s.answered = r.status === 201
          }
        }
        const rotateLoop = async (f: (typeof families)[number]) => {
          while (running) {
            f.inFlight = true
            const presented = f.latest
            const r = await post(new OriginClient(origin), '/api/auth/refresh', {
              refresh_token: presented,
            }).catch(() => null)
            if (!r) return
            if (r.status !== 200) {
              wrong.push(`refresh ${r.status}`)
              return
            }
            f.spent.push(presented)
            f.latest = ((await r.json()) as { refresh_token: string }).refresh_token
            f.inFlight = false
          }
        }
        const changeLoop = async () => {
          for (const c of changers) {
            if (!running) return
            const r = await post(c.client, '/api/me/password', {
              current_password: OLD,
              new_password: NEW,
            }).catch(() => null)
            if (!r) return
            if (r.status !== 204) wrong.push(`password ${r.status}`)
            c.answered = r.status === 204
          }
        }
        const burst = Promise.all([
          signupLoop(0),
          signupLoop(1),
          signupLoop(2),
          changeLoop(),
          ...families.map((f) => rotateLoop(f)),
        ])
        // Mid-burst: some of everything answered, more in flight.
        const deadline = Date.now() + 30_000
        while (
          wrong.length === 0 &&
          Date.now() < deadline &&
          (signups.filter((s) => s.answered).length < 4 || families.some((f) => f.spent.length < 2))
        )
          await new Promise((resolve) => setTimeout(resolve, 5))
        server.child.kill('SIGKILL')
        await server.exited
        running = false
        await burst
        expect(wrong).toEqual([])

        server = await serve()
        // Sign-ups: answered ones keep their session; the others are complete or absent.
        for (const s of signups) {
          if (s.answered) {
            const me = await s.client.send(null, 'GET', '/api/me')
            expect([s.username, me.status]).toEqual([s.username, 200])
            expect(((await me.json()) as { user: { roles: string[] } }).user.roles).toContain('user')
            continue
          }
          const r = await login(origin, s.username, OLD)
          if (r.status === 200) {
            expect(((await r.json()) as { user: { roles: string[] } }).user.roles).toContain('user')
          } else {
            expect([s.username, r.status]).toEqual([s.username, 401])
            const again = await post(new OriginClient(origin), '/api/auth/signup', {
              email: `${s.username}@example.com`,
              username: s.username,
              password: OLD,
            })
            expect([s.username, again.status]).toEqual([s.username, 201])
          }
        }
        // Password changes: answered ones hold, with their rotated session; the others are all-or-nothing.
        for (const c of changers) {
          const withNew = (await login(origin, c.username, NEW)).status
          const withOld = (await login(origin, c.username, OLD)).status
          if (c.answered) {
            expect([c.username, withNew, withOld]).toEqual([c.username, 200, 401])
            expect((await c.client.send(null, 'GET', '/api/me')).status).toBe(200)
          } else {
            expect([withNew, withOld].sort()).toEqual([200, 401])
          }
        }
        // Refresh tokens: the newest answered one of an idle family works; none that was spent does.
        for (const f of families) {
          if (!f.inFlight) {
            const r = await post(new OriginClient(origin), '/api/auth/refresh', { refresh_token: f.latest })
            expect(r.status).toBe(200)
          }
          for (const spent of f.spent) {
            const r = await post(new OriginClient(origin), '/api/auth/refresh', { refresh_token: spent })
            expect(r.status).toBe(401)
          }
        }
      } finally {
        await server?.kill()
        await stores.close()
      }
    },
  )
})
