/**
 * The login throttle takes its points before the password is hashed, atomically, on the
 * memory and the Redis backend; device cookies stop exempting after a password change or
 * reset; an operator can clear an account's counter.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { type Auth, createAuth } from '../src/core/auth.ts'
import { fakeClock } from '../src/core/clock.ts'
import { createOutboxMailer } from '../src/core/mail/mailer.ts'
import { AccountRecovery } from '../src/core/methods/password/recovery.ts'
import type { ThrottleBackend } from '../src/core/protect/throttle.ts'
import type { Stores } from '../src/stores/contracts.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { composeStores, createRedisStores } from '../src/stores/redis/index.ts'
import { createSqlStores } from '../src/stores/sql/index.ts'
import { probeRedis, requireService } from './helpers/services.ts'
import { REDIS_URL } from './helpers/stores.ts'

const PASSWORD = 'correct horse battery staple'
const redisUp = await requireService('Redis', probeRedis(REDIS_URL))

interface Backend {
  stores: Stores
  throttleBackend?: ThrottleBackend
  cleanup(): Promise<void>
}

const backends: Record<string, () => Promise<Backend>> = {
  memory: async () => ({ stores: createMemoryStores(), cleanup: async () => {} }),
  redis: async () => {
    const prefix = `gh-test:throttle:${randomBytes(4).toString('hex')}:`
    const sql = await createSqlStores({ url: 'sqlite::memory:' })
    const redis = createRedisStores({ url: REDIS_URL, prefix, users: sql.users })
    return {
      stores: composeStores(sql, redis),
      throttleBackend: { kind: 'redis', client: redis.redis, prefix },
      cleanup: async () => {
        await redis.clear()
        await Promise.all([redis.close(), sql.close()])
      },
    }
  },
}

const open: Backend[] = []
afterAll(async () => {
  for (const b of open.splice(0)) await b.cleanup()
})

async function makeAuth(
  kind: string,
  throttle: Record<string, unknown>,
  password: Record<string, unknown> = {},
): Promise<Auth> {
  const backend = await backends[kind]!()
  open.push(backend)
  return createAuth(
    {
      mode: 'test',
      stores: backend.stores,
      password: { memoryCost: 8192, timeCost: 1, maxWaiting: 1000, ...password },
      throttle,
    },
    backend.throttleBackend ? { throttleBackend: backend.throttleBackend } : {},
  )
}

/** Counts password checks on the real hasher (the real verify still runs). */
function countVerifications(auth: Auth): { readonly n: number } {
  const counter = { n: 0 }
  const verify = auth.passwords.verify.bind(auth.passwords)
  const dummy = auth.passwords.verifyDummy.bind(auth.passwords)
  auth.passwords.verify = async (...args: Parameters<typeof verify>) => {
    counter.n++
    return verify(...args)
  }
  auth.passwords.verifyDummy = async (...args: Parameters<typeof dummy>) => {
    counter.n++
    return dummy(...args)
  }
  return counter
}

function codes(results: PromiseSettledResult<unknown>[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of results) {
    const code = r.status === 'fulfilled' ? 'OK' : ((r.reason as { code?: string }).code ?? 'ERROR')
    out[code] = (out[code] ?? 0) + 1
  }
  return out
}

for (const kind of Object.keys(backends)) {
  describe.skipIf(kind === 'redis' && !redisUp)(`login throttle on ${kind}`, () => {
    it('40 concurrent wrong passwords for one account (limit 10) get at most 10 password checks, the rest 429', async () => {
      const auth = await makeAuth(kind, {
        account: { points: 10, duration: 900 },
        ip: { points: 1000, duration: 900 },
      })
      await auth.signUp({ email: 'victim@example.com', username: 'victim', password: PASSWORD })
      const checks = countVerifications(auth)
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          auth.verifyLogin({ login: 'victim', password: `wrong guess ${i}` }, { ip: `198.51.100.${i + 1}` }),
        ),
      )
      expect(checks.n).toBeLessThanOrEqual(10)
      expect(codes(results)).toEqual({ INVALID_CREDENTIALS: checks.n, RATE_LIMITED: 40 - checks.n })
      const limited = results.find((r) => r.status === 'rejected' && r.reason.code === 'RATE_LIMITED')
      expect((limited as PromiseRejectedResult).reason.retryAfter).toBeGreaterThan(0)
      expect((limited as PromiseRejectedResult).reason.scope).toBe('account')
      // The right password from a new device is refused too, without a password check.
      const before = checks.n
      await expect(auth.verifyLogin({ login: 'victim', password: PASSWORD })).rejects.toMatchObject({
        code: 'RATE_LIMITED',
      })
      expect(checks.n).toBe(before)
    })

    it('a cancelled attempt whose counter a success cleared meanwhile leaves no spare attempt', async () => {
      const auth = await makeAuth(kind, {
        account: { points: 3, duration: 900 },
        ip: { points: 1000, duration: 900 },
      })
      const attempt = { ip: '198.51.100.7', account: 'user:race', deviceId: null }
      const a = await auth.throttle.begin(attempt)
      const b = await auth.throttle.begin(attempt)
      await auth.throttle.succeeded(b) // clears the account counter
      await auth.throttle.cancel(a) // must not push it below zero
      let passed = 0
      for (let i = 0; i < 6; i++) {
        try {
          await auth.throttle.begin(attempt)
          passed++
        } catch {
          // RATE_LIMITED
        }
      }
      expect(passed).toBe(3)
    })

    it('three concurrent bursts from one IP across accounts get at most the IP limit of password checks', async () => {
      const auth = await makeAuth(kind, {
        ip: { points: 50, duration: 900 },
        account: { points: 1000, duration: 900 },
      })
      for (let i = 0; i < 5; i++)
        await auth.signUp({ email: `u${i}@example.com`, username: `user_${i}`, password: PASSWORD })
      const checks = countVerifications(auth)
      const ip = '203.0.113.9'
      const burst = (b: number) =>
        Promise.allSettled(
          Array.from({ length: 30 }, (_, i) =>
            auth.verifyLogin(
              { login: i % 2 ? `user_${i % 5}` : `nobody_${b}_${i}`, password: `wrong ${b} ${i}` },
              { ip },
            ),
          ),
        )
      const results = (await Promise.all([burst(0), burst(1), burst(2)])).flat()
      expect(checks.n).toBeLessThanOrEqual(50)
      expect(codes(results)).toEqual({ INVALID_CREDENTIALS: checks.n, RATE_LIMITED: 90 - checks.n })
      // Another IP is not held by this one's budget.
      await expect(
        auth.verifyLogin({ login: 'user_1', password: PASSWORD }, { ip: '203.0.113.10' }),
      ).resolves.toMatchObject({ username: 'user_1' })
    })

    it('a refused attempt gives back the points it took, and a success resets the account count but not the IP’s', async () => {
      const auth = await makeAuth(kind, {
        ip: { points: 3, duration: 900 },
        account: { points: 2, duration: 900 },
      })
      await auth.signUp({ email: 'a@example.com', username: 'alice', password: PASSWORD })
      await auth.signUp({ email: 'b@example.com', username: 'bob', password: PASSWORD })
      const ip = '192.0.2.50'
      for (let i = 0; i < 2; i++)
        await expect(
          auth.verifyLogin({ login: 'alice', password: 'wrong guess x' }, { ip }),
        ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' })
      // alice's account is full: these are refused and must not use up the IP's last point.
      for (let i = 0; i < 5; i++)
        await expect(auth.verifyLogin({ login: 'alice', password: PASSWORD }, { ip })).rejects.toMatchObject({
          code: 'RATE_LIMITED',
          scope: 'account',
        })
      // The IP still has one point (2 used): bob logs in, and his success gives that point back.
      await expect(auth.verifyLogin({ login: 'bob', password: PASSWORD }, { ip })).resolves.toBeTruthy()
      await expect(
        auth.verifyLogin({ login: 'bob', password: 'wrong guess y' }, { ip }),
      ).rejects.toMatchObject({
        code: 'INVALID_CREDENTIALS',
      })
      // 3 failures now: the IP is full, whatever the account.
      await expect(auth.verifyLogin({ login: 'bob', password: PASSWORD }, { ip })).rejects.toMatchObject({
        code: 'RATE_LIMITED',
        scope: 'ip',
      })
    })

    it('concurrent guesses of the current password in changePassword get at most the account limit of checks', async () => {
      const auth = await makeAuth(kind, {
        account: { points: 10, duration: 900 },
        ip: { points: 1000, duration: 900 },
      })
      const user = await auth.signUp({ email: 'c@example.com', username: 'carol', password: PASSWORD })
      const checks = countVerifications(auth)
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) =>
          auth.changePassword(
            user,
            { currentPassword: `guess ${i}`, newPassword: 'another long passphrase' },
            null,
            { ip: `198.51.100.${i + 1}` },
          ),
        ),
      )
      expect(checks.n).toBeLessThanOrEqual(10)
      expect(codes(results)).toEqual({ INVALID_CREDENTIALS: checks.n, RATE_LIMITED: 30 - checks.n })
    })

    it('a known device is held only by its own budget, not by the IP’s or the account’s', async () => {
      const auth = await makeAuth(kind, {
        ip: { points: 3, duration: 900 },
        account: { points: 3, duration: 900 },
        device: { points: 2, duration: 900 },
      })
      const owner = await auth.signUp({ email: 'o@example.com', username: 'owner', password: PASSWORD })
      const ip = '192.0.2.77'
      const device = deviceCookie((await auth.startSession(owner, {}, { ip })).cookies)
      for (let i = 0; i < 3; i++)
        await expect(
          auth.verifyLogin({ login: 'owner', password: `wrong ${i}` }, { ip }),
        ).rejects.toMatchObject({
          code: 'INVALID_CREDENTIALS',
        })
      await expect(auth.verifyLogin({ login: 'owner', password: PASSWORD }, { ip })).rejects.toMatchObject({
        code: 'RATE_LIMITED',
      })
      const checks = countVerifications(auth)
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          auth.verifyLogin({ login: 'owner', password: `device guess ${i}` }, { ip, cookie: device }),
        ),
      )
      expect(checks.n).toBe(2)
      expect(codes(results)).toEqual({ INVALID_CREDENTIALS: 2, RATE_LIMITED: 4 })
      expect(
        results.some((r) => r.status === 'rejected' && (r.reason as { scope?: string }).scope === 'device'),
      ).toBe(true)
    })

    it('a login the hashing queue refuses (503 OVERLOADED) gives its throttle points back', async () => {
      const auth = await makeAuth(
        kind,
        { account: { points: 3, duration: 900 }, ip: { points: 1000, duration: 900 } },
        { concurrency: 1, maxWaiting: 0 },
      )
      await auth.signUp({ email: 'q@example.com', username: 'queued', password: PASSWORD })
      const burst = await Promise.allSettled(
        Array.from({ length: 3 }, (_, i) => auth.verifyLogin({ login: 'queued', password: `wrong ${i}` })),
      )
      expect(codes(burst)).toEqual({ INVALID_CREDENTIALS: 1, OVERLOADED: 2 })
      // Only the one checked guess counted: two more wrong guesses are still checked.
      for (let i = 0; i < 2; i++)
        await expect(auth.verifyLogin({ login: 'queued', password: `again ${i}` })).rejects.toMatchObject({
          code: 'INVALID_CREDENTIALS',
        })
      await expect(auth.verifyLogin({ login: 'queued', password: PASSWORD })).rejects.toMatchObject({
        code: 'RATE_LIMITED',
      })
    })

    it('clearAccount lets the owner in from a new device after someone else’s guesses locked the account', async () => {
      const auth = await makeAuth(kind, {
        account: { points: 3, duration: 900 },
        ip: { points: 1000, duration: 900 },
      })
      const owner = await auth.signUp({ email: 'l@example.com', username: 'locked', password: PASSWORD })
      for (let i = 0; i < 4; i++)
        await auth
          .verifyLogin({ login: 'locked', password: `wrong ${i}` }, { ip: `198.51.100.${i}` })
          .catch(() => {})
      await expect(auth.verifyLogin({ login: 'locked', password: PASSWORD })).rejects.toMatchObject({
        code: 'RATE_LIMITED',
      })
      await auth.throttle.clearAccount(`user:${owner.id}`)
      await expect(auth.verifyLogin({ login: 'locked', password: PASSWORD })).resolves.toMatchObject({
        id: owner.id,
      })
    })
  })
}

function deviceCookie(cookies: string[]): string {
  return cookies.find((c) => c.startsWith('gh_device='))!.split(';')[0]!
}

describe('device cookies end with the password', () => {
  async function lockedOut() {
    const auth = await createAuth({
      mode: 'test',
      stores: createMemoryStores({ clock: fakeClock() }),
      password: { memoryCost: 8192, timeCost: 1 },
      throttle: { account: { points: 2, duration: 900 }, ip: { points: 1000, duration: 900 } },
    })
    const user = await auth.signUp({ email: 'd@example.com', username: 'dana', password: PASSWORD })
    const started = await auth.startSession(user, {}, { ip: '192.0.2.1' })
    const lock = async () => {
      for (let i = 0; i < 3; i++)
        await auth
          .verifyLogin({ login: 'dana', password: `wrong ${i}` }, { ip: `198.51.100.${i}` })
          .catch(() => {})
    }
    return { auth, user, started, device: deviceCookie(started.cookies), lock }
  }

  it('a password change ends the exemption of old device cookies; the browser that changed it gets a fresh one', async () => {
    const { auth, user, started, device, lock } = await lockedOut()
    const NEW = 'a brand new passphrase for dana'
    const rotated = await auth.changePassword(
      user,
      { currentPassword: PASSWORD, newPassword: NEW },
      started.session,
      { ip: '192.0.2.1', cookie: device },
    )
    const fresh = deviceCookie(rotated!.cookies)
    expect(fresh).not.toBe(device)
    await lock()
    // The old device cookie no longer exempts: it is an unknown device now.
    await expect(
      auth.verifyLogin({ login: 'dana', password: NEW }, { cookie: device }),
    ).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    })
    // The browser that changed the password still gets in.
    await expect(
      auth.verifyLogin({ login: 'dana', password: NEW }, { cookie: fresh }),
    ).resolves.toMatchObject({
      id: user.id,
    })
  })

  it('a password reset ends the exemption of old device cookies', async () => {
    const { auth, user, device, lock } = await lockedOut()
    await lock()
    // Before the reset the device is exempt…
    await expect(
      auth.verifyLogin({ login: 'dana', password: PASSWORD }, { cookie: device }),
    ).resolves.toBeTruthy()
    const NEW = 'a reset passphrase for dana'
    const outbox = createOutboxMailer(() => {})
    const recovery = new AccountRecovery(auth, outbox, {
      publicUrl: 'http://localhost:8000',
      appName: 'Test',
    })
    await recovery.requestPasswordReset(user.email, { ip: '192.0.2.1' })
    await recovery.pending
    const token = /token=([A-Za-z0-9_-]{43})/.exec(outbox.messages[0]!.text)![1]
    await recovery.resetPassword(token, NEW)
    await lock()
    await expect(
      auth.verifyLogin({ login: 'dana', password: NEW }, { cookie: device }),
    ).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    })
  })
})
