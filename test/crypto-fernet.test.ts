import * as nodeCrypto from 'node:crypto'
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { encryptFromParts, Fernet, MultiFernet } from '../src/core/crypto/fernet.ts'
import { InvalidToken } from '../src/core/crypto/invalid-token.ts'
import { AuthError } from '../src/core/errors.ts'
import { havePythonCryptography, python } from './helpers/python-crypto.ts'

// Counts decryptions, to show that a token whose MAC fails is never decrypted.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>()
  return { ...actual, createDecipheriv: vi.fn(actual.createDecipheriv) }
})

interface FernetCase {
  id: string
  group: string
  desc: string
  secret: string
  token: string
  now_unix: number | null
  ttl_sec: number | null
  plaintext_b64?: string
  plaintext?: string | null
  iv_hex?: string
  expect: 'valid' | 'invalid'
}

const vectors = JSON.parse(readFileSync(new URL('./fixtures/fernet.json', import.meta.url), 'utf8')) as {
  cases: FernetCase[]
}
const T0 = 1_700_000_000

/** The error `fn` throws (undefined when it does not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

/** Asserts `fn` fails with InvalidToken, exactly as every other failure does. */
function expectInvalid(fn: () => unknown): void {
  const error = thrown(fn)
  expect(error).toBeInstanceOf(InvalidToken)
  const e = error as InvalidToken
  expect({ name: e.name, code: e.code, message: e.message, cause: e.cause, status: e.status }).toEqual({
    name: 'AuthError',
    code: 'INVALID_TOKEN',
    message: 'The link or token is invalid or has expired.',
    cause: undefined,
    status: 400,
  })
}

/** A valid token with its decoded bytes changed by `edit`, re-encoded as padded base64url. */
function editBytes(token: string, edit: (raw: Buffer) => Buffer): string {
  const raw = Buffer.from(token, 'base64url')
  const text = edit(raw).toString('base64url')
  return text + '='.repeat((4 - (text.length % 4)) % 4)
}

describe('fernet.json (fernet/spec + python cryptography 38)', () => {
  it('holds the 30 cases the README lists', () => {
    expect(vectors.cases).toHaveLength(30)
    expect(vectors.cases.filter((c) => c.expect === 'invalid')).toHaveLength(15)
  })

  it.each(vectors.cases)('$id $group: $desc', (c) => {
    const at = c.now_unix
    const fernet = new Fernet(c.secret, { clock: () => (at ?? 0) * 1000 + 999 })
    const read = (f: Fernet | MultiFernet) =>
      c.ttl_sec === null ? f.decrypt(c.token) : f.decrypt(c.token, { ttl: c.ttl_sec })
    if (c.expect === 'invalid') {
      expectInvalid(() => read(fernet))
      expectInvalid(() => read(new MultiFernet([new Fernet(Fernet.generateKey()), fernet])))
      if (c.ttl_sec !== null && at !== null)
        expectInvalid(() => fernet.decryptAtTime(c.token, c.ttl_sec!, at))
      return
    }
    const plaintext = new Uint8Array(Buffer.from(c.plaintext_b64!, 'base64'))
    expect(read(fernet)).toEqual(plaintext)
    if (c.ttl_sec !== null && at !== null)
      expect(fernet.decryptAtTime(c.token, c.ttl_sec, at)).toEqual(plaintext)
    if (c.plaintext !== null && c.plaintext !== undefined)
      expect(fernet.decryptText(c.token)).toBe(c.plaintext)
    else expectInvalid(() => fernet.decryptText(c.token)) // not UTF-8
  })

  it('spec-generate: the fixed-IV token is reproduced byte for byte', () => {
    const generate = vectors.cases.filter((c) => c.group === 'spec-generate')
    expect(generate.length).toBeGreaterThan(0)
    for (const c of generate) {
      const iv = Buffer.from(c.iv_hex!, 'hex')
      expect(encryptFromParts(c.secret, c.plaintext!, c.now_unix!, iv)).toBe(c.token)
      expect(encryptFromParts(c.secret, Buffer.from(c.plaintext_b64!, 'base64'), c.now_unix!, iv)).toBe(
        c.token,
      )
    }
  })
})

describe('Fernet', () => {
  it('generateKey: 32 random bytes as padded url-safe base64, like Python', () => {
    const keys = Array.from({ length: 200 }, () => Fernet.generateKey())
    for (const key of keys) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/)
      expect(Buffer.from(key, 'base64url')).toHaveLength(32)
    }
    expect(new Set(keys).size).toBe(200)
  })

  it('refuses a key that is not 32 bytes of url-safe base64, with a clear message that does not echo it', () => {
    const good = Fernet.generateKey()
    const bad = [
      '',
      'short',
      good.slice(0, -1), // padding stripped
      `${good} `,
      ` ${good}`,
      Buffer.alloc(31).toString('base64url'),
      `${Buffer.alloc(33).toString('base64url')}`,
      'a'.repeat(32), // 32 characters, not 32 bytes
      `${good.slice(0, 10)}!${good.slice(11)}`,
      undefined as unknown as string,
      Buffer.alloc(32) as unknown as string,
    ]
    for (const key of bad) {
      const error = thrown(() => new Fernet(key))
      expect(error).toBeInstanceOf(AuthError)
      expect((error as AuthError).code).toBe('CONFIG_INVALID')
      expect((error as AuthError).message).toBe(
        'Fernet key must be 32 url-safe base64-encoded bytes (Fernet.generateKey() makes one).',
      )
    }
    expect(() => new Fernet(good)).not.toThrow()
  })

  it('round-trips strings and bytes, with a fresh IV each time and the clock as timestamp', () => {
    const fernet = new Fernet(Fernet.generateKey(), { clock: () => T0 * 1000 + 999 })
    const a = fernet.encrypt('héllo 🔐')
    const b = fernet.encrypt('héllo 🔐')
    expect(a).not.toBe(b)
    expect(a).toMatch(/^gAAAAA[A-Za-z0-9_-]+=*$/)
    expect(fernet.decryptText(a)).toBe('héllo 🔐')
    expect(fernet.extractTimestamp(a)).toBe(T0)
    const bytes = new Uint8Array([0, 255, 1, 254, 0])
    expect(fernet.decrypt(fernet.encrypt(bytes))).toEqual(bytes)
    expect(fernet.decrypt(fernet.encrypt(''))).toEqual(new Uint8Array())
    expect(fernet.extractTimestamp(fernet.encryptAtTime('x', 12345))).toBe(12345)
  })

  it('ttl counts from the timestamp: age equal to ttl is valid, one second more is not', () => {
    let now = T0 * 1000
    const fernet = new Fernet(Fernet.generateKey(), { clock: () => now })
    const token = fernet.encrypt('ttl')
    now = (T0 + 60) * 1000 + 999
    expect(fernet.decryptText(token, { ttl: 60 })).toBe('ttl')
    now = (T0 + 61) * 1000
    expectInvalid(() => fernet.decrypt(token, { ttl: 60 }))
    expect(fernet.decryptText(token)).toBe('ttl') // no ttl, no age check
    expect(fernet.decryptText(token, { ttl: 61 })).toBe('ttl')
  })

  it('a token dated more than 60 s in the future is refused when a ttl is given', () => {
    const fernet = new Fernet(Fernet.generateKey(), { clock: () => T0 * 1000 })
    expect(fernet.decryptText(fernet.encryptAtTime('skew', T0 + 60), { ttl: 10 })).toBe('skew')
    expectInvalid(() => fernet.decrypt(fernet.encryptAtTime('skew', T0 + 61), { ttl: 10 }))
    expectInvalid(() => fernet.decryptAtTime(fernet.encryptAtTime('skew', T0 + 61), 10, T0))
  })

  it('refuses a bad ttl or time as a programming error, not as an invalid token', () => {
    const fernet = new Fernet(Fernet.generateKey())
    const token = fernet.encrypt('x')
    expect(thrown(() => fernet.decrypt(token, { ttl: -1 }))).toBeInstanceOf(RangeError)
    expect(thrown(() => fernet.decrypt(token, { ttl: Number.NaN }))).toBeInstanceOf(RangeError)
    expect(thrown(() => fernet.encryptAtTime('x', -1))).toBeInstanceOf(RangeError)
    expect(thrown(() => fernet.encryptAtTime('x', 1.5))).toBeInstanceOf(RangeError)
    expect(thrown(() => encryptFromParts(Fernet.generateKey(), 'x', 1, new Uint8Array(8)))).toBeInstanceOf(
      RangeError,
    )
  })

  it('every failure kind throws the same error: MAC, version, padding, length, base64, key, expiry', () => {
    const key = Fernet.generateKey()
    const fernet = new Fernet(key, { clock: () => T0 * 1000 })
    const token = fernet.encryptAtTime('secret message', T0)
    const signing = Buffer.from(key, 'base64url').subarray(0, 16)
    // One block that decrypts to zeros: its last byte 0x00 is never valid PKCS7 padding.
    const badPadding = (iv: Buffer) => {
      const cipher = nodeCrypto.createCipheriv('aes-128-cbc', Buffer.from(key, 'base64url').subarray(16), iv)
      cipher.setAutoPadding(false)
      return Buffer.concat([cipher.update(Buffer.alloc(16)), cipher.final()])
    }
    const remac = (body: Buffer) =>
      Buffer.concat([body, nodeCrypto.createHmac('sha256', signing).update(body).digest()])
    const failures = [
      editBytes(token, (raw) => {
        raw[30]! ^= 1
        return raw
      }), // ciphertext bit: MAC fails
      editBytes(token, (raw) => {
        raw[raw.length - 1]! ^= 1
        return raw
      }), // MAC bit
      editBytes(token, (raw) => remac(Buffer.concat([Buffer.from([0x81]), raw.subarray(1, -32)]))), // version, re-MACed
      editBytes(token, (raw) => remac(Buffer.concat([raw.subarray(0, 25), badPadding(raw.subarray(9, 25))]))), // bad PKCS7, re-MACed
      editBytes(token, (raw) => remac(raw.subarray(0, -33))), // not a whole block, re-MACed
      editBytes(token, (raw) => raw.subarray(0, 40)), // too short
      token.replace(/=+$/, ''), // padding stripped: Python refuses it too
      `${token}AAAA`, // trailing data (Python skips it; we refuse: one token, one spelling)
      `${token.slice(0, 20)}\n${token.slice(20)}`, // junk inside
      '',
      'gAAAAA',
      42 as unknown as string,
    ]
    for (const bad of failures) expectInvalid(() => fernet.decrypt(bad))
    expectInvalid(() => new Fernet(Fernet.generateKey()).decrypt(token)) // wrong key
    expectInvalid(() => fernet.decryptAtTime(token, 60, T0 + 61)) // expired
    expect(fernet.decryptText(token)).toBe('secret message') // the control
  })

  it('accepts the standard base64 alphabet, as Python does', () => {
    const fernet = new Fernet(Fernet.generateKey())
    let token = fernet.encrypt('abc')
    while (!/[-_]/.test(token)) token = fernet.encrypt('abc')
    expect(fernet.decryptText(token.replace(/-/g, '+').replace(/_/g, '/'))).toBe('abc')
  })

  it('a token whose MAC fails is never decrypted (no padding oracle)', () => {
    const fernet = new Fernet(Fernet.generateKey())
    const token = fernet.encrypt('0123456789abcdef')
    const decipher = vi.mocked(nodeCrypto.createDecipheriv)
    decipher.mockClear()
    expect(fernet.decryptText(token)).toBe('0123456789abcdef')
    expect(decipher).toHaveBeenCalledTimes(1)
    decipher.mockClear()
    for (let i = 25; i < 57; i++) {
      // every ciphertext byte
      expectInvalid(() =>
        fernet.decrypt(
          editBytes(token, (raw) => {
            raw[i]! ^= 0x01
            return raw
          }),
        ),
      )
    }
    expectInvalid(() => new Fernet(Fernet.generateKey()).decrypt(token))
    expect(decipher).not.toHaveBeenCalled()
  })
})

describe('MultiFernet', () => {
  const k1 = Fernet.generateKey()
  const k2 = Fernet.generateKey()
  const k3 = Fernet.generateKey()

  it('encrypts with the first key and decrypts with any', () => {
    const multi = new MultiFernet([new Fernet(k1), new Fernet(k2)])
    const token = multi.encrypt('rotating')
    expect(new Fernet(k1).decryptText(token)).toBe('rotating')
    expectInvalid(() => new Fernet(k2).decrypt(token))
    expect(multi.decryptText(new Fernet(k2).encrypt('old'))).toBe('old')
    expectInvalid(() => multi.decrypt(new Fernet(k3).encrypt('unknown')))
  })

  it('checks the ttl with the matching key', () => {
    let now = T0 * 1000
    const old = new Fernet(k2, { clock: () => now })
    const multi = new MultiFernet([new Fernet(k1, { clock: () => now }), old])
    const token = old.encrypt('aging')
    now = (T0 + 100) * 1000
    expect(multi.decryptText(token, { ttl: 100 })).toBe('aging')
    expectInvalid(() => multi.decrypt(token, { ttl: 99 }))
    expectInvalid(() => multi.decryptAtTime(token, 99, T0 + 100))
    expect(multi.decryptAtTime(token, 100, T0 + 100)).toEqual(new TextEncoder().encode('aging'))
  })

  it('rotate re-encrypts under the first key and keeps the original timestamp, ignoring age', () => {
    const oldToken = new Fernet(k2).encryptAtTime('keep my age', T0)
    const multi = new MultiFernet([new Fernet(k1), new Fernet(k2)])
    const rotated = multi.rotate(oldToken)
    expect(rotated).not.toBe(oldToken)
    const first = new Fernet(k1)
    expect(first.decryptText(rotated)).toBe('keep my age')
    expect(first.extractTimestamp(rotated)).toBe(T0)
    expect(multi.rotate(rotated)).not.toBe(rotated) // a fresh IV each time
    expectInvalid(() => multi.rotate(new Fernet(k3).encrypt('x')))
    expectInvalid(() => multi.rotate('garbage'))
  })

  it('refuses an empty list', () => {
    expect((thrown(() => new MultiFernet([])) as AuthError).code).toBe('CONFIG_INVALID')
    expect((thrown(() => new MultiFernet([k1 as unknown as Fernet])) as AuthError).code).toBe(
      'CONFIG_INVALID',
    )
  })
})

describe('round trip with python cryptography', async () => {
  const available = await havePythonCryptography()
  const key = Fernet.generateKey()
  const samples = ['', 'hello fernet', '0123456789abcdef', 'héllo wörld — 你好 — 🔐', 'x'.repeat(10_000)]
  const binary = Buffer.from([0, 1, 2, 255, 254, 128, 0])
  let fromPython: string[] = []

  beforeAll(async () => {
    if (!available) return
    const out = await python(
      [...samples.map((s) => Buffer.from(s)), binary].map((b) => ({
        op: 'fernet_encrypt' as const,
        key,
        data_b64: b.toString('base64'),
      })),
    )
    fromPython = out.map((r) => r.token!)
  })

  it.skipIf(!available)('a token made here decrypts in Python, with its bytes and timestamp', async () => {
    const fernet = new Fernet(key, { clock: () => T0 * 1000 + 500 })
    const inputs = [...samples.map((s) => Buffer.from(s)), binary]
    const tokens = inputs.map((b) => fernet.encrypt(b))
    const multi = new MultiFernet([new Fernet(key), new Fernet(Fernet.generateKey())])
    const out = await python([
      ...tokens.map((token) => ({ op: 'fernet_decrypt' as const, key, token })),
      { op: 'fernet_decrypt', key, token: multi.rotate(tokens[1]!) },
      { op: 'fernet_decrypt', key, token: tokens[1]!, ttl: 60 }, // dated 2023: Python's clock says expired
      { op: 'fernet_decrypt', key: Fernet.generateKey(), token: tokens[1]! },
    ])
    inputs.forEach((b, i) => {
      expect(out[i]).toEqual({ data_b64: b.toString('base64'), timestamp: T0 })
    })
    expect(out[inputs.length]).toEqual({
      data_b64: Buffer.from('hello fernet').toString('base64'),
      timestamp: T0,
    })
    expect(out[inputs.length + 1]).toEqual({ error: 'InvalidToken' })
    expect(out[inputs.length + 2]).toEqual({ error: 'InvalidToken' })
  })

  it.skipIf(!available)("Python's tokens decrypt here", () => {
    const fernet = new Fernet(key)
    expect(fromPython).toHaveLength(samples.length + 1)
    samples.forEach((s, i) => {
      expect(fernet.decryptText(fromPython[i]!)).toBe(s)
      expect(fernet.decryptText(fromPython[i]!, { ttl: 120 })).toBe(s) // minted seconds ago by the real clock
    })
    expect(fernet.decrypt(fromPython[samples.length]!)).toEqual(new Uint8Array(binary))
    expectInvalid(() => new Fernet(Fernet.generateKey()).decrypt(fromPython[1]!))
  })
})
