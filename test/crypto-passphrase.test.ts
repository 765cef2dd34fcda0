import * as nodeCrypto from 'node:crypto'
import { readFileSync } from 'node:fs'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { Fernet } from '../src/core/crypto/fernet.ts'
import { decryptFletAesGcm } from '../src/core/crypto/flet-gcm.ts'
import { InvalidToken } from '../src/core/crypto/invalid-token.ts'
import { decrypt, encrypt, encryptFromParts } from '../src/core/crypto/passphrase.ts'
import { passphraseFernetKey } from '../src/core/crypto/passphrase-kdf.ts'
import type { AuthError } from '../src/core/errors.ts'
import { havePythonCryptography, python } from './helpers/python-crypto.ts'

// Counts PBKDF2 runs, to show that malformed input is refused before any is paid for.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>()
  return { ...actual, pbkdf2: vi.fn(actual.pbkdf2) }
})
const pbkdf2Calls = () => vi.mocked(nodeCrypto.pbkdf2).mock.calls.length

interface FletCase {
  id: string
  function: 'encrypt' | 'decrypt' | 'encrypt_aes_gcm_256' | 'decrypt_aes_gcm_256'
  iterations: number
  secret_key: string
  plain_text: string | null
  encrypted: string
  expect: 'valid' | 'invalid'
  intermediate?: { salt_hex: string; fernet_key: string; fernet_token: string; fernet_timestamp: number }
}

const vectors = JSON.parse(
  readFileSync(new URL('./fixtures/flet-encrypt.json', import.meta.url), 'utf8'),
) as {
  cases: FletCase[]
}
const FAST = 100_000 // the lowest count allowed; enough to exercise everything but the default
const MESSAGE = 'The link or token is invalid or has expired.'

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  return undefined
}

/** Asserts the same error Fernet throws for every failure: InvalidToken, one message, no cause. */
async function expectInvalid(promise: Promise<unknown>): Promise<void> {
  const error = await rejection(promise)
  expect(error).toBeInstanceOf(InvalidToken)
  const e = error as InvalidToken
  expect([e.name, e.code, e.message, e.cause]).toEqual(['AuthError', 'INVALID_TOKEN', MESSAGE, undefined])
}

beforeEach(() => {
  vi.mocked(nodeCrypto.pbkdf2).mockClear()
})

describe('flet-encrypt.json (Flet flet.security, reproduced with python cryptography 38)', () => {
  it('holds the 13 cases the README lists', () => {
    expect(vectors.cases).toHaveLength(13)
  })

  const fernetCases = vectors.cases.filter((c) => c.function === 'encrypt' || c.function === 'decrypt')
  const gcmCases = vectors.cases.filter((c) => c.function.endsWith('aes_gcm_256'))

  it.each(fernetCases)('$id $function ($iterations iterations) $expect', async (c) => {
    if (c.expect === 'invalid') {
      await expectInvalid(decrypt(c.encrypted, c.secret_key, { iterations: c.iterations }))
      await expectInvalid(decrypt(c.encrypted, c.secret_key)) // 600,000 then 100,000: neither fits
      return
    }
    const parts = c.intermediate!
    const salt = Buffer.from(parts.salt_hex, 'hex')
    const iv = Buffer.from(parts.fernet_token, 'base64url').subarray(9, 25)
    const [plain, key, again] = await Promise.all([
      decrypt(c.encrypted, c.secret_key, { iterations: c.iterations }),
      passphraseFernetKey(c.secret_key, salt, c.iterations),
      encryptFromParts(c.plain_text!, c.secret_key, {
        format: 'flet',
        iterations: c.iterations,
        salt,
        time: parts.fernet_timestamp,
        iv,
      }),
    ])
    expect(plain).toBe(c.plain_text)
    expect(key).toBe(parts.fernet_key)
    expect(again).toBe(c.encrypted) // Flet's exact bytes from the same salt, time and IV
  })

  it('without an iteration count, current data decrypts at 600,000 and legacy data falls back to 100,000', async () => {
    const current = vectors.cases.find((c) => c.function === 'encrypt' && c.iterations === 600_000)!
    const legacy = vectors.cases.find((c) => c.function === 'encrypt' && c.iterations === 100_000)!
    expect(await decrypt(current.encrypted, current.secret_key)).toBe(current.plain_text)
    expect(pbkdf2Calls()).toBe(1)
    expect(await decrypt(legacy.encrypted, legacy.secret_key)).toBe(legacy.plain_text)
    expect(pbkdf2Calls()).toBe(3)
    await expectInvalid(decrypt(legacy.encrypted, legacy.secret_key, { iterations: 600_000 }))
  })

  it.each(gcmCases)('$id $function $expect', async (c) => {
    if (c.expect === 'invalid') await expectInvalid(decryptFletAesGcm(c.encrypted, c.secret_key))
    else expect(await decryptFletAesGcm(c.encrypted, c.secret_key)).toBe(c.plain_text)
  })

  it('encrypt_aes_gcm_256 data: tampering and a wrong passphrase fail alike', async () => {
    const c = gcmCases.find((x) => x.expect === 'valid')!
    const raw = Buffer.from(c.encrypted, 'base64url')
    raw[raw.length - 1]! ^= 1
    await expectInvalid(decryptFletAesGcm(raw.toString('base64'), c.secret_key))
    await expectInvalid(decryptFletAesGcm(c.encrypted, `${c.secret_key}x`))
    await expectInvalid(decryptFletAesGcm('AAAA', c.secret_key))
  })
})

describe('encrypt / decrypt', () => {
  it('writes our envelope by default, naming its KDF, 600,000 iterations and salt; it round-trips', async () => {
    const sealed = await encrypt('héllo 🔐', 'correct horse battery staple')
    expect(sealed).toMatch(/^gh1\.pbkdf2-sha256\.600000\.[A-Za-z0-9_-]{22}\.gAAAAA[A-Za-z0-9_-]+=*$/)
    expect(await decrypt(sealed, 'correct horse battery staple')).toBe('héllo 🔐')
    expect(await encrypt('héllo 🔐', 'correct horse battery staple')).not.toBe(sealed)
  })

  it('reads the count from the envelope, not from the options', async () => {
    const sealed = await encrypt('', 'pass', { iterations: FAST })
    expect(sealed.split('.').slice(0, 3)).toEqual(['gh1', 'pbkdf2-sha256', '100000'])
    expect(await decrypt(sealed, 'pass', { iterations: 600_000 })).toBe('')
    expect(vi.mocked(nodeCrypto.pbkdf2).mock.calls.map((call) => call[2])).toEqual([FAST, FAST])
  })

  it("format 'flet' writes salt16 ‖ ascii(Fernet token) in padded base64url, which decrypt reads", async () => {
    const sealed = await encrypt('for flet', 'pass', { format: 'flet', iterations: FAST })
    const raw = Buffer.from(sealed, 'base64url')
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+=*$/)
    expect(sealed.length % 4).toBe(0)
    const token = raw.subarray(16).toString('latin1')
    const key = await passphraseFernetKey('pass', raw.subarray(0, 16), FAST)
    expect(new Fernet(key).decryptText(token)).toBe('for flet')
    expect(await decrypt(sealed, 'pass', { iterations: FAST })).toBe('for flet')
    expect(await decrypt(sealed, 'pass')).toBe('for flet') // found by the 100,000 fallback
  })

  it('a wrong passphrase and every tampering fail with the same error as Fernet', async () => {
    const sealed = await encrypt('secret', 'pass', { iterations: FAST })
    const [v, kdf, count, salt, token] = sealed.split('.') as [string, string, string, string, string]
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1)
    const flet = await encrypt('secret', 'pass', { format: 'flet', iterations: FAST })
    const bad = [
      `${v}.${kdf}.100001.${salt}.${token}`, // count changed: another key
      `${v}.${kdf}.${count}.${flip(salt, 3)}.${token}`,
      `${v}.${kdf}.${count}.${salt}.${flip(token, 40)}`,
      flip(flet, 5), // Flet salt
      flip(flet, 60), // inside the Fernet token
    ]
    for (const t of bad) await expectInvalid(decrypt(t, 'pass', { iterations: FAST }))
    await expectInvalid(decrypt(sealed, 'Pass'))
    await expectInvalid(decrypt(flet, 'Pass', { iterations: FAST }))
    expect(await decrypt(sealed, 'pass')).toBe('secret') // the control
  })

  it('refuses malformed input, unknown versions or KDFs and absurd counts before any PBKDF2 runs', async () => {
    const sealed = await encrypt('x', 'pass', { iterations: FAST })
    const [, , , salt, token] = sealed.split('.') as [string, string, string, string, string]
    vi.mocked(nodeCrypto.pbkdf2).mockClear()
    const bad = [
      '',
      'gh1.',
      'garbage',
      `gh2.pbkdf2-sha256.100000.${salt}.${token}`,
      `gh1.pbkdf2-sha512.100000.${salt}.${token}`,
      `gh1.scrypt.100000.${salt}.${token}`,
      `gh1.pbkdf2-sha256.2000001.${salt}.${token}`, // over the 2,000,000 bound: a DoS if honoured
      `gh1.pbkdf2-sha256.99999999999.${salt}.${token}`,
      `gh1.pbkdf2-sha256.99999.${salt}.${token}`,
      `gh1.pbkdf2-sha256.0100000.${salt}.${token}`,
      `gh1.pbkdf2-sha256.1e5.${salt}.${token}`,
      `gh1.pbkdf2-sha256.100000.${salt}A.${token}`,
      `gh1.pbkdf2-sha256.100000.${salt}.${token}.extra`,
      `gh1.pbkdf2-sha256.100000.${salt}.${token.slice(0, -4)}`,
      Buffer.alloc(16).toString('base64'), // a Flet salt with nothing after it
      Buffer.concat([Buffer.alloc(16), Buffer.from('not a fernet token')]).toString('base64url'),
      7 as unknown as string,
    ]
    for (const t of bad) await expectInvalid(decrypt(t, 'pass'))
    expect(pbkdf2Calls()).toBe(0)
  })

  it('refuses an empty passphrase, a bad count or format as programming errors', async () => {
    expect(((await rejection(encrypt('x', ''))) as AuthError).code).toBe('CONFIG_INVALID')
    expect(((await rejection(decrypt('x', ''))) as AuthError).code).toBe('CONFIG_INVALID')
    expect(await rejection(encrypt('x', 'p', { iterations: 99_999 }))).toBeInstanceOf(RangeError)
    expect(await rejection(encrypt('x', 'p', { iterations: 2_000_001 }))).toBeInstanceOf(RangeError)
    expect(await rejection(decrypt('x', 'p', { iterations: 1000 }))).toBeInstanceOf(RangeError)
    expect(
      await rejection(encrypt('x', 'p', { format: 'fernet' as 'flet', iterations: FAST })),
    ).toBeInstanceOf(RangeError)
    expect(pbkdf2Calls()).toBe(0)
  })

  it('PBKDF2 runs off the event loop: timers keep firing during a 600,000-iteration decrypt', async () => {
    const sealed = await encryptFromParts('x', 'pass', {
      salt: new Uint8Array(16),
      time: 0,
      iv: new Uint8Array(16),
    })
    let ticks = 0
    const timer = setInterval(() => ticks++, 1)
    try {
      expect(await decrypt(sealed, 'pass')).toBe('x')
    } finally {
      clearInterval(timer)
    }
    expect(ticks).toBeGreaterThan(3)
  })
})

describe('round trip with Flet’s algorithm in python cryptography', async () => {
  const available = await havePythonCryptography()

  it.skipIf(!available)(
    'what we write in Flet’s format decrypts in Python (600,000 and 100,000)',
    async () => {
      const text = 'unicode plaintext: héllo wörld — 你好 — 🔐'
      const current = await encrypt(text, 'ключ-🔑-鍵', { format: 'flet' })
      const legacy = await encrypt(text, 'ключ-🔑-鍵', { format: 'flet', iterations: FAST })
      const ours = await encryptFromParts('inner token', 'pass', {
        iterations: FAST,
        salt: Buffer.alloc(16, 7),
        time: 1_700_000_000,
        iv: Buffer.alloc(16, 9),
      })
      const innerKey = await passphraseFernetKey('pass', Buffer.alloc(16, 7), FAST)
      const out = await python([
        { op: 'flet_decrypt', secret_key: 'ключ-🔑-鍵', encrypted: current, iterations: 600_000 },
        { op: 'flet_decrypt', secret_key: 'ключ-🔑-鍵', encrypted: legacy, iterations: FAST },
        { op: 'flet_decrypt', secret_key: 'wrong', encrypted: current, iterations: 600_000 },
        { op: 'fernet_decrypt', key: innerKey, token: ours.split('.')[4]! },
      ])
      expect(out).toEqual([
        { plain_text: text },
        { plain_text: text },
        { error: 'InvalidToken' },
        { data_b64: Buffer.from('inner token').toString('base64'), timestamp: 1_700_000_000 },
      ])
    },
  )

  it.skipIf(!available)('what Python writes with Flet’s algorithm decrypts here', async () => {
    const out = await python([
      {
        op: 'flet_encrypt',
        secret_key: 'FLET_SECRET_KEY $ymbols!',
        plain_text: 'line1\nline2',
        iterations: 600_000,
      },
      { op: 'flet_encrypt', secret_key: 'FLET_SECRET_KEY $ymbols!', plain_text: '', iterations: FAST },
    ])
    expect(await decrypt(out[0]!.encrypted!, 'FLET_SECRET_KEY $ymbols!')).toBe('line1\nline2')
    expect(await decrypt(out[1]!.encrypted!, 'FLET_SECRET_KEY $ymbols!')).toBe('') // legacy fallback
    await expectInvalid(decrypt(out[0]!.encrypted!, 'FLET_SECRET_KEY $ymbols'))
  })
})
