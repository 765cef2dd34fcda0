/**
 * Imported legacy hashes must not reveal which accounts exist: a wrong password for an
 * account with a slow Werkzeug pbkdf2 hash and a login for an unknown name take the same time.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createAuth } from '../src/core/auth.ts'
import { hashFormat } from '../src/core/methods/password/hashing/login-timing.ts'
import { createSqlStores } from '../src/stores/sql/index.ts'

interface WerkzeugCase {
  method: string
  password: string
  hash: string
}
const cases = (
  JSON.parse(readFileSync('test/fixtures/werkzeug-hashes.json', 'utf8')) as { cases: WerkzeugCase[] }
).cases
// Made by Werkzeug 2.2.2 itself: pbkdf2:sha256 with 260,000 iterations, ~10x an argon2id check at test parameters.
const legacy = cases.find((c) => c.method === 'pbkdf2:sha256:260000' && c.password === 'password')!

async function setup(seedLegacy: boolean) {
  const stores = await createSqlStores({ url: 'sqlite::memory:' })
  const options = {
    mode: 'test' as const,
    stores,
    password: { memoryCost: 8192, timeCost: 1 },
    throttle: { enabled: false },
    logger: { warn: () => {} },
  }
  if (seedLegacy) {
    // The import happened before this process started (a migration from Flask).
    const seed = await createAuth(options)
    const user = await seed.signUp({
      email: 'old@example.com',
      username: 'old_user',
      password: 'temporary pass 1',
    })
    await stores.users.setPasswordHash(user.id, legacy.hash)
  }
  return createAuth(options)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function timeLogin(auth: Awaited<ReturnType<typeof setup>>, login: string): Promise<number> {
  const started = performance.now()
  await expect(auth.verifyLogin({ login, password: 'not the password' })).rejects.toMatchObject({
    code: 'INVALID_CREDENTIALS',
  })
  return performance.now() - started
}

describe('login timing with imported legacy hashes', () => {
  it('names a format by its parameters, not its salt', () => {
    expect(hashFormat(legacy.hash)).toBe('pbkdf2:sha256:260000')
    expect(hashFormat('$2b$12$KIXQ3QJ7b1Qp2pZ6F8zQ2eXn6u7vWm1z9yq3Yk0bV3m8N5c6d7e8f')).toBe('$2b$12')
    expect(hashFormat('$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g')).toBe(
      '$argon2id$v=19$m=19456,t=2,p=1',
    )
  })

  it('an unknown name takes as long as a wrong password for a migrated account', async () => {
    const auth = await setup(true)
    expect(auth.passwords.timing.floorMs).toBeGreaterThan(0)
    const known: number[] = []
    const unknown: number[] = []
    const current: number[] = []
    await auth.signUp({ email: 'new@example.com', username: 'new_user', password: 'a current passphrase' })
    for (let i = 0; i < 9; i++) {
      known.push(await timeLogin(auth, 'old_user'))
      unknown.push(await timeLogin(auth, `nobody_${i}`))
      current.push(await timeLogin(auth, 'new_user'))
    }
    const [k, u, c] = [median(known), median(unknown), median(current)]
    // Without the floor the unknown name answers in a tenth of the time; with it the three agree.
    expect(Math.abs(k - u) / Math.max(k, u)).toBeLessThan(0.3)
    expect(Math.abs(k - c) / Math.max(k, c)).toBeLessThan(0.3)
    // The migrated account still logs in with its Werkzeug password, and is upgraded to argon2id.
    const user = await auth.verifyLogin({ login: 'old_user', password: legacy.password })
    expect((await auth.stores.users.getUserById(user.id))!.passwordHash).toMatch(/^\$argon2id\$/)
    await auth.close()
  })

  it('learns a format it meets after start, from the first login that shows it', async () => {
    const auth = await setup(false)
    expect(auth.passwords.timing.floorMs).toBe(0)
    const user = await auth.signUp({
      email: 'late@example.com',
      username: 'late_user',
      password: 'temporary pass 1',
    })
    await auth.stores.users.setPasswordHash(user.id, legacy.hash)
    await timeLogin(auth, 'late_user')
    expect(auth.passwords.timing.floorMs).toBeGreaterThan(0)
    const known: number[] = []
    const unknown: number[] = []
    for (let i = 0; i < 7; i++) {
      known.push(await timeLogin(auth, 'late_user'))
      unknown.push(await timeLogin(auth, `nobody_${i}`))
    }
    const [k, u] = [median(known), median(unknown)]
    expect(Math.abs(k - u) / Math.max(k, u)).toBeLessThan(0.3)
    await auth.close()
  })
})
