import { createHash, createHmac, pbkdf2Sync, scryptSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { type Algorithm, hash as argon2Hash, hashRaw } from '@node-rs/argon2'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  DEFAULT_ARGON2_PARAMS,
  hashPassword,
  hashScheme,
  needsRehash,
  type VerifyResult,
  verifyPassword,
} from '../src/core/methods/password/hashing/index.ts'

interface Case {
  id: string
  password: string
  password_utf8_hex: string
  hash: string
  verifies: boolean
  group?: string
  note?: string
}
interface BcryptCase extends Case {
  password_utf8_len: number
}
interface Argon2Case extends Case {
  salt_hex?: string
  type?: 'id' | 'i' | 'd'
  version?: number
  time_cost?: number
  memory_cost_kib?: number
  parallelism?: number
  hash_len?: number
  raw_hash_hex?: string
}

function fixture<T>(name: string): { cases: T[] } {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'))
}

/** The hex form is authoritative; decoding must be strict UTF-8. */
function passwordOf(c: Case): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(c.password_utf8_hex, 'hex'))
}

/** Verifies every case at once: the slow KDFs share the libuv pool instead of running in series. */
async function verifyAll(cases: Case[]): Promise<Map<string, VerifyResult>> {
  const entries = await Promise.all(
    cases.map(async (c) => [c.id, await verifyPassword(passwordOf(c), c.hash)] as const),
  )
  return new Map(entries)
}

const werkzeug = fixture<Case>('werkzeug-hashes.json').cases
const bcrypt = fixture<BcryptCase>('bcrypt-hashes.json').cases
const argon2 = fixture<Argon2Case>('argon2-hashes.json').cases

// Started together so the three files' slow cases overlap on the pool; settled in each suite.
let all: Record<'werkzeug' | 'bcrypt' | 'argon2', Promise<Map<string, VerifyResult>>>
beforeAll(() => {
  all = { werkzeug: verifyAll(werkzeug), bcrypt: verifyAll(bcrypt), argon2: verifyAll(argon2) }
})

describe('fixtures', () => {
  it('have the documented case counts and hex forms that match the strings', () => {
    expect([werkzeug.length, bcrypt.length, argon2.length]).toEqual([170, 43, 34])
    for (const c of [...werkzeug, ...bcrypt, ...argon2]) expect(passwordOf(c), c.id).toBe(c.password)
  })
})

describe('Werkzeug hashes (werkzeug-hashes.json)', () => {
  const results = new Map<string, VerifyResult>()
  beforeAll(async () => {
    for (const [id, result] of await all.werkzeug) results.set(id, result)
  }, 120_000)

  it.each(werkzeug.map((c) => [c.id, c.hash.split('$')[0], c.verifies, c] as const))(
    '%s %s → %s',
    (_id, _method, verifies, c) => {
      const result = results.get(c.id)!
      expect(result.valid).toBe(verifies)
      // Every Werkzeug scheme is legacy: a successful login re-hashes with argon2id.
      expect(result.needsRehash).toBe(verifies)
    },
  )
})

// Bytes over 72 are ignored by bcrypt. Rather than accept a match on a truncated password, we
// refuse passwords over 72 bytes against bcrypt, so those cases are "rejected", i.e. false.
const bcryptExpected = (c: BcryptCase) => (c.password_utf8_len > 72 ? ('rejected' as const) : c.verifies)

describe('bcrypt hashes (bcrypt-hashes.json)', () => {
  const results = new Map<string, VerifyResult>()
  beforeAll(async () => {
    for (const [id, result] of await all.bcrypt) results.set(id, result)
  }, 120_000)

  it.each(bcrypt.map((c) => [c.id, c.group, bcryptExpected(c), c] as const))(
    '%s [%s] → %s',
    (_id, _group, expected, c) => {
      const result = results.get(c.id)!
      expect(result.valid).toBe(expected === true)
      expect(result.needsRehash).toBe(expected === true)
    },
  )

  it('marks exactly the over-72-byte truncation cases as rejected, though pyca/bcrypt 3.2 accepted them', () => {
    const rejected = bcrypt.filter((c) => bcryptExpected(c) === 'rejected')
    expect(rejected.map((c) => c.id)).toEqual([
      'bcrypt-023',
      'bcrypt-025',
      'bcrypt-027',
      'bcrypt-028',
      'bcrypt-029',
      'bcrypt-030',
    ])
    expect(rejected.every((c) => c.group === '72-byte-truncation')).toBe(true)
    // The 72-byte prefix itself still verifies: the refusal is the length rule, not a mismatch.
    expect(results.get('bcrypt-024')).toEqual({ valid: true, needsRehash: true })
  })

  it('refuses a password containing NUL', async () => {
    const stored = bcrypt.find((c) => c.id === 'bcrypt-001')!.hash
    expect((await verifyPassword('password\0', stored)).valid).toBe(false)
  })
})

describe('argon2 hashes (argon2-hashes.json)', () => {
  const results = new Map<string, VerifyResult>()
  beforeAll(async () => {
    for (const [id, result] of await all.argon2) results.set(id, result)
  }, 120_000)

  it.each(argon2.map((c) => [c.id, c.group, c.verifies, c] as const))(
    '%s [%s] → %s',
    (_id, group, verifies, c) => {
      const result = results.get(c.id)!
      expect(result.valid).toBe(verifies)
      // Only argon2id with exactly the current m/t/p is left alone.
      const current = c.hash.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')
      expect(result.needsRehash).toBe(verifies && !current)
      if (verifies) expect(needsRehash(c.hash)).toBe(!current)
      expect(group).toBeTruthy()
    },
  )

  const fixed = argon2.filter((c) => c.group === 'fixed-salt')
  it.each(fixed.map((c) => [c.id, c] as const))('%s recomputes bit for bit', async (_id, c) => {
    const options = {
      salt: Buffer.from(c.salt_hex!, 'hex'),
      algorithm: ({ d: 0, i: 1, id: 2 } as const)[c.type!] as Algorithm,
      memoryCost: c.memory_cost_kib!,
      timeCost: c.time_cost!,
      parallelism: c.parallelism!,
      outputLen: c.hash_len!,
    }
    expect(c.version).toBe(19)
    const raw = await hashRaw(Buffer.from(c.password_utf8_hex, 'hex'), options)
    expect(raw.toString('hex')).toBe(c.raw_hash_hex)
    expect(await argon2Hash(passwordOf(c), options)).toBe(c.hash)
  })
})

describe('hashPassword / verifyPassword', () => {
  it('makes an argon2id PHC string with the OWASP parameters that verifies and needs no rehash', async () => {
    const stored = await hashPassword('correct horse battery staple')
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    expect(DEFAULT_ARGON2_PARAMS).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 })
    expect(await verifyPassword('correct horse battery staple', stored)).toEqual({
      valid: true,
      needsRehash: false,
    })
    expect(await verifyPassword('correct horse battery stapl', stored)).toEqual({
      valid: false,
      needsRehash: false,
    })
    expect(hashScheme(stored)).toBe('argon2id')
    expect(needsRehash(stored)).toBe(false)
  })

  it('does not fold case: Password1 is not password1', async () => {
    const stored = await hashPassword('Password1')
    expect((await verifyPassword('Password1', stored)).valid).toBe(true)
    expect((await verifyPassword('password1', stored)).valid).toBe(false)
  })

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')])
    expect(a).not.toBe(b)
  })

  it('asks for a rehash when the argon2id parameters differ from the policy', async () => {
    const cheap = { memoryCost: 1024, timeCost: 1, parallelism: 1 }
    const stored = await hashPassword('hunter2hunter2', cheap)
    expect(stored).toContain('$m=1024,t=1,p=1$')
    expect(await verifyPassword('hunter2hunter2', stored)).toEqual({ valid: true, needsRehash: true })
    expect(await verifyPassword('hunter2hunter2', stored, cheap)).toEqual({ valid: true, needsRehash: false })
    expect(needsRehash(stored)).toBe(true)
  })

  it('reads Werkzeug forms without explicit parameters: pbkdf2:sha256 is 1,000,000 iterations, scrypt is 32768:8:1', async () => {
    const salt = 'AbCdEfGh12345678'
    const pbkdf2 = (iterations: number) =>
      pbkdf2Sync('pässword', salt, iterations, 32, 'sha256').toString('hex')
    const scrypt = scryptSync('pässword', salt, 64, {
      N: 32768,
      r: 8,
      p: 1,
      maxmem: 64 * 1024 * 1024,
    }).toString('hex')
    const [bare, legacyDefault, bareScrypt, bareName] = await Promise.all([
      verifyPassword('pässword', `pbkdf2:sha256$${salt}$${pbkdf2(1_000_000)}`),
      verifyPassword('pässword', `pbkdf2:sha256$${salt}$${pbkdf2(260_000)}`),
      verifyPassword('pässword', `scrypt$${salt}$${scrypt}`),
      verifyPassword('pässword', `pbkdf2$${salt}$${pbkdf2(1_000_000)}`),
    ])
    expect(bare).toEqual({ valid: true, needsRehash: true })
    expect(legacyDefault.valid).toBe(false)
    expect(bareScrypt).toEqual({ valid: true, needsRehash: true })
    expect(bareName.valid).toBe(true)
  })

  it('accepts the other legacy HMAC digests Werkzeug 2.2 could make', async () => {
    const salt = 'xyzXYZ0123456789'
    const stored = `sha512$${salt}$${createHmac('sha512', salt).update('pw-ü').digest('hex')}`
    expect(await verifyPassword('pw-ü', stored)).toEqual({ valid: true, needsRehash: true })
    expect(hashScheme(stored)).toBe('werkzeug-hmac')
  })

  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
  const hostile: [string, unknown][] = [
    ['empty', ''],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['an object', { toString: () => 'x' }],
    ['plain-text Werkzeug form', 'plain$$password'],
    ['unsalted digest', `sha256$$${sha256('password')}`],
    ['plaintext equal to the password', 'password'],
    ['pbkdf2 with an absurd iteration count', `pbkdf2:sha256:99999999999$salt$${'0'.repeat(64)}`],
    ['pbkdf2 with a non-numeric count', `pbkdf2:sha256:1e6$salt$${'0'.repeat(64)}`],
    ['pbkdf2 with an unknown digest', `pbkdf2:whirlpool:1000$salt$${'0'.repeat(128)}`],
    ['pbkdf2 with too many fields', `pbkdf2:sha256:1000:1$salt$${'0'.repeat(64)}`],
    ['scrypt needing 8 GiB', `scrypt:1048576:64:1$salt$${'0'.repeat(128)}`],
    ['scrypt with N not a power of two', `scrypt:1000:8:1$salt$${'0'.repeat(128)}`],
    ['scrypt with two parameters', `scrypt:16384:8$salt$${'0'.repeat(128)}`],
    ['extra $ field', `sha256$salt$${'0'.repeat(64)}$`],
    ['non-hex digest', `sha256$salt$${'g'.repeat(64)}`],
    ['bcrypt $2x$', '$2x$04$hNRgKIlq.uC.ap88IZ/YAudVRmW3EaF2dSidbwOjBloHzDrRAvMPi'],
    ['bcrypt cost 31', '$2b$31$hNRgKIlq.uC.ap88IZ/YAudVRmW3EaF2dSidbwOjBloHzDrRAvMPi'],
    ['bcrypt cost 03', '$2b$03$hNRgKIlq.uC.ap88IZ/YAudVRmW3EaF2dSidbwOjBloHzDrRAvMPi'],
    [
      'argon2 with 4 GiB',
      '$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQtMTZieXRlcw$5OfAJCphkA6iMYxv6dWB4NuR5Wku1oxeLHa3jNZ71kA',
    ],
    ['argon2 with a 4-byte tag', '$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQtMTZieXRlcw$0Uh/8w'],
    [
      'argon2 with trailing garbage',
      '$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQtMTZieXRlcw$0Uh/81CE1tUeYUJi+OqCHg$',
    ],
    [
      'argon2 with a keyid',
      '$argon2id$v=19$m=8,t=1,p=1,keyid=AAAA$c29tZXNhbHQtMTZieXRlcw$0Uh/81CE1tUeYUJi+OqCHg',
    ],
    ['a huge string', `pbkdf2:sha256:1000$${'s'.repeat(100_000)}$${'0'.repeat(64)}`],
  ]
  it.each(hostile)('never verifies, never throws: %s', async (_label, stored) => {
    await expect(verifyPassword('password', stored as string)).resolves.toEqual({
      valid: false,
      needsRehash: false,
    })
    expect(hashScheme(stored as string)).toBeNull()
  })

  it('a non-string password never verifies', async () => {
    const stored = await hashPassword('undefined')
    await expect(verifyPassword(undefined as unknown as string, stored)).resolves.toEqual({
      valid: false,
      needsRehash: false,
    })
  })

  it('names the scheme of every fixture hash it can verify', () => {
    expect(hashScheme(werkzeug[0]!.hash)).toBe('werkzeug-pbkdf2')
    expect(hashScheme(werkzeug.find((c) => c.hash.startsWith('scrypt'))!.hash)).toBe('werkzeug-scrypt')
    expect(hashScheme(werkzeug.find((c) => c.hash.startsWith('md5'))!.hash)).toBe('werkzeug-hmac')
    expect(hashScheme(bcrypt[0]!.hash)).toBe('bcrypt')
    expect(hashScheme(argon2.find((c) => c.group === 'argon2i')!.hash)).toBe('argon2i')
  })
})
