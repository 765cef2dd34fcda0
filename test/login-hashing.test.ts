/** The expensive path: admission queue at its bound, and equal work for unknown users (docs/security.md case 16). */
import { describe, expect, it, vi } from 'vitest'
import { createAuth } from '../src/core/auth.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { honoApp, sendViaHono } from './helpers/apps.ts'
import { Client } from './helpers/client.ts'

const PASSWORD = 'correct horse battery staple'

async function setup(password: Record<string, number>) {
  const auth = await createAuth({
    mode: 'test',
    publicUrl: 'http://localhost:8000',
    stores: createMemoryStores(),
    password: { memoryCost: 8192, timeCost: 1, ...password },
    throttle: { enabled: false },
  })
  await auth.signUp({ email: 'alice@example.com', username: 'alice', password: PASSWORD })
  return { auth, send: sendViaHono(honoApp(auth)) }
}

describe('admission queue on login', () => {
  it('answers 503 with Retry-After at once past the bound, and serves the admitted logins', async () => {
    const { send } = await setup({ concurrency: 1, maxWaiting: 1 })
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        new Client(send).post('/login', { login: 'alice', password: PASSWORD }),
      ),
    )
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2)
    const overloaded = results.filter((r) => r.status === 503)
    expect(overloaded.length).toBeGreaterThan(0)
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true)
    for (const r of overloaded) {
      expect(r.headers.get('retry-after')).toBe('1')
      expect((await r.json()).error.code).toBe('OVERLOADED')
    }
  })
})

describe('unknown user vs wrong password (docs/security.md case 16)', () => {
  it('both pay exactly one hash through the queue', async () => {
    const { auth, send } = await setup({})
    await auth.passwords.verifyDummy('warm up the dummy hash')
    const run = vi.spyOn(auth.passwords.queue, 'run')
    await new Client(send).post('/login', { login: 'alice', password: 'wrong password here' })
    const forKnown = run.mock.calls.length
    await new Client(send).post('/login', { login: 'nobody', password: 'wrong password here' })
    expect(run.mock.calls.length - forKnown).toBe(forKnown)
    expect(forKnown).toBe(1)
  })

  it('median times are within a small tolerance', async () => {
    const { auth, send } = await setup({ memoryCost: 19456, timeCost: 2 })
    await auth.passwords.verifyDummy('warm up the dummy hash')
    const time = async (login: string) => {
      const t = performance.now()
      const res = await new Client(send).post('/login', { login, password: 'wrong password here' })
      expect(res.status).toBe(401)
      return performance.now() - t
    }
    const known: number[] = []
    const unknown: number[] = []
    for (let i = 0; i < 15; i++) {
      known.push(await time('alice'))
      unknown.push(await time('nobody'))
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const [a, b] = [median(known), median(unknown)]
    // Both are dominated by one argon2id verification (~tens of ms); a missing dummy hash would be ~0.
    expect(Math.abs(a - b) / Math.max(a, b)).toBeLessThan(0.35)
  })
})
