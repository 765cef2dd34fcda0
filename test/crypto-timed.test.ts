import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { deflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { InvalidToken } from '../src/core/crypto/invalid-token.ts'
import { verifyItsdangerous } from '../src/core/crypto/itsdangerous.ts'
import { sign, verify } from '../src/core/crypto/timed-tokens.ts'
import { AuthError } from '../src/core/errors.ts'

interface ItsdCase {
  id: string
  group: string
  desc: string
  payload: unknown
  token: string
  verify: {
    secret_keys: string[]
    secret_keys_are_hex: boolean
    salt: string
    max_age: number | null
    now: number
  }
  expect: 'valid' | 'invalid'
  anatomy?: { derived_key_hex: string }
}

const vectors = JSON.parse(
  readFileSync(new URL('./fixtures/itsdangerous-tokens.json', import.meta.url), 'utf8'),
) as { cases: ItsdCase[] }

const SECRET = 'a-server-secret-of-at-least-32-bytes!!'
const T0 = 1_700_000_000
const at = (seconds: number) => () => seconds * 1000 + 250

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

function expectInvalid(fn: () => unknown): void {
  const error = thrown(fn)
  expect(error).toBeInstanceOf(InvalidToken)
  const e = error as InvalidToken
  expect([e.name, e.code, e.message, e.cause]).toEqual([
    'AuthError',
    'INVALID_TOKEN',
    'The link or token is invalid or has expired.',
    undefined,
  ])
}

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url')

describe('itsdangerous-tokens.json (itsdangerous 2.1.2 URLSafeTimedSerializer)', () => {
  it('holds the 33 cases the README lists', () => {
    expect(vectors.cases).toHaveLength(33)
    expect(vectors.cases.filter((c) => c.expect === 'invalid')).toHaveLength(14)
  })

  it.each(vectors.cases)('$id $group: $desc', (c) => {
    const keys = c.verify.secret_keys.map((k) => (c.verify.secret_keys_are_hex ? Buffer.from(k, 'hex') : k))
    const options = {
      secret: keys,
      salt: c.verify.salt,
      maxAge: c.verify.max_age ?? undefined,
      clock: at(c.verify.now),
    }
    if (c.expect === 'invalid') expectInvalid(() => verifyItsdangerous(c.token, options))
    else {
      expect(verifyItsdangerous(c.token, options)).toEqual(c.payload)
      if (keys.length === 1)
        expect(verifyItsdangerous(c.token, { ...options, secret: keys[0]! })).toEqual(c.payload)
    }
  })
})

describe('verifyItsdangerous beyond the vectors', () => {
  // Minted by hand with the anatomy's derived key, to build what itsdangerous could sign but we refuse.
  const base = vectors.cases.find((c) => c.id === 'itsd-001')!
  const derived = Buffer.from(base.anatomy!.derived_key_hex, 'hex')
  const secret = base.verify.secret_keys[0]!
  const signed = (value: string) =>
    `${value}.${createHmac('sha1', derived).update(value).digest('base64url')}`
  const stamp = b64(Buffer.from([0x65, 0x53, 0xf1, 0x00])) // 1700000000
  const options = { secret, salt: 'password-reset', maxAge: 3600, clock: at(T0 + 10) }

  it('the hand-made control verifies, so the refusals below are about their shape', () => {
    expect(base.token).toBe(signed(`${b64('{"user_id":1}')}.${stamp}`))
    expect(verifyItsdangerous(signed(`${b64('{"user_id":1}')}.${stamp}`), options)).toEqual({ user_id: 1 })
    const compressed = `.${b64(deflateSync('{"user_id":2}'))}`
    expect(verifyItsdangerous(signed(`${compressed}.${stamp}`), options)).toEqual({ user_id: 2 })
  })

  it('refuses URLSafeSerializer (untimed) tokens, plain and compressed', () => {
    expectInvalid(() => verifyItsdangerous(signed(b64('{"user_id":1}')), options))
    expectInvalid(() => verifyItsdangerous(signed(`.${b64(deflateSync('{"user_id":1}'))}`), options))
    expectInvalid(() =>
      verifyItsdangerous(signed(`.${b64(deflateSync('{"user_id":1}'))}`), { ...options, maxAge: undefined }),
    )
  })

  it('refuses authentic tokens whose payload is not JSON, not zlib, empty, or inflates past 1 MiB', () => {
    expectInvalid(() => verifyItsdangerous(signed(`${b64('not json')}.${stamp}`), options))
    expectInvalid(() => verifyItsdangerous(signed(`.${b64('not zlib')}.${stamp}`), options))
    expectInvalid(() => verifyItsdangerous(signed(`.${stamp}`), options))
    expectInvalid(() => verifyItsdangerous(signed(`${b64(Buffer.from([0xff, 0xfe]))}.${stamp}`), options))
    const bomb = `.${b64(deflateSync(`"${'a'.repeat(2 * 1024 * 1024)}"`))}`
    expectInvalid(() => verifyItsdangerous(signed(`${bomb}.${stamp}`), options))
    const fine = `.${b64(deflateSync(`"${'a'.repeat(1000)}"`))}`
    expect(verifyItsdangerous(signed(`${fine}.${stamp}`), options)).toBe('a'.repeat(1000))
  })

  it('refuses a timestamp longer than 8 bytes, even when signed', () => {
    expectInvalid(() => verifyItsdangerous(signed(`${b64('1')}.${b64(Buffer.alloc(9, 1))}`), options))
    expectInvalid(() => verifyItsdangerous(signed(`${b64('1')}.`), { ...options, maxAge: undefined }))
  })

  it('checks the age with the injected clock: age == maxAge valid, one more second or a future stamp not', () => {
    const token = signed(`${b64('{"user_id":1}')}.${stamp}`)
    expect(verifyItsdangerous(token, { ...options, clock: at(T0 + 3600) })).toEqual({ user_id: 1 })
    expectInvalid(() => verifyItsdangerous(token, { ...options, clock: at(T0 + 3601) }))
    expectInvalid(() => verifyItsdangerous(token, { ...options, clock: at(T0 - 1) }))
    expect(verifyItsdangerous(token, { ...options, maxAge: 0, clock: at(T0) })).toEqual({ user_id: 1 })
  })

  it('refuses bad options as programming errors', () => {
    expect(thrown(() => verifyItsdangerous(base.token, { ...options, secret: '' }))).toBeInstanceOf(
      RangeError,
    )
    expect(thrown(() => verifyItsdangerous(base.token, { ...options, secret: [] }))).toBeInstanceOf(
      RangeError,
    )
    expect(thrown(() => verifyItsdangerous(base.token, { ...options, maxAge: -1 }))).toBeInstanceOf(
      RangeError,
    )
    expect(
      thrown(() => verifyItsdangerous(base.token, { ...options, salt: undefined as unknown as string })),
    ).toBeInstanceOf(RangeError)
  })
})

describe('sign / verify', () => {
  const options = { secret: SECRET, purpose: 'email-verify', clock: at(T0) }

  it('round-trips a JSON payload in the gt1 format, expiry inside the signed part', () => {
    const payload = { userId: 'u_42', email: 'zoë@example.com', n: [1, 2] }
    const token = sign(payload, { ...options, expiresIn: 3600 })
    expect(token).toMatch(/^gt1\.[A-Za-z0-9_-]+\.1700003600\.[A-Za-z0-9_-]{43}$/)
    expect(verify(token, options)).toEqual(payload)
    expect(verify(sign('text', { ...options, expiresIn: 1 }), options)).toBe('text')
    expect(verify(sign(null, { ...options, expiresIn: 1 }), options)).toBeNull()
  })

  it('expires when the clock reaches the expiry', () => {
    const token = sign({ a: 1 }, { ...options, expiresIn: 60 })
    expect(verify(token, { ...options, clock: () => (T0 + 60) * 1000 - 1 })).toEqual({ a: 1 })
    expectInvalid(() => verify(token, { ...options, clock: () => (T0 + 60) * 1000 }))
  })

  it('is bound to its purpose and secret; a rotation list verifies old tokens', () => {
    const token = sign({ a: 1 }, { ...options, expiresIn: 60 })
    expectInvalid(() => verify(token, { ...options, purpose: 'password-reset' }))
    expectInvalid(() => verify(token, { ...options, purpose: 'email-verify ' }))
    expectInvalid(() => verify(token, { ...options, secret: `${SECRET}x` }))
    expect(verify(token, { ...options, secret: [`${SECRET}-new-one`, SECRET] })).toEqual({ a: 1 })
    expectInvalid(() => verify(token, { ...options, secret: [`${SECRET}-new-one`] }))
  })

  it('every tampering fails with the one error', () => {
    const token = sign({ role: 'user' }, { ...options, expiresIn: 60 })
    const [v, payload, expires, sig] = token.split('.') as [string, string, string, string]
    const evil = b64('{"role":"admin"}')
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1)
    const bad = [
      `${v}.${evil}.${expires}.${sig}`,
      `${v}.${payload}.${Number(expires) + 3600}.${sig}`, // extend the expiry
      `${v}.${payload}.${expires}.${flip(sig, 0)}`,
      `${v}.${payload}.${expires}.${sig.slice(0, -1)}`,
      `gt2.${payload}.${expires}.${sig}`,
      `${v}.${payload}.0${expires}.${sig}`,
      `${v}.${payload}.${expires}.${sig}.x`,
      `${v}.${payload}.${expires}`,
      `${token} `,
      '',
      undefined as unknown as string,
    ]
    for (const t of bad) expectInvalid(() => verify(t, options))
    expect(verify(token, options)).toEqual({ role: 'user' }) // the control
  })

  it('does not confuse the two formats', () => {
    const ours = sign({ user_id: 1 }, { ...options, purpose: 'password-reset', expiresIn: 60 })
    expectInvalid(() => verifyItsdangerous(ours, { secret: SECRET, salt: 'password-reset', clock: at(T0) }))
    const theirs = vectors.cases.find((c) => c.id === 'itsd-001')!.token
    expectInvalid(() => verify(theirs, { ...options, purpose: 'password-reset' }))
  })

  it('refuses a short secret, an empty purpose, a bad expiry or payload as programming errors', () => {
    const code = (fn: () => unknown) => (thrown(fn) as AuthError).code
    expect(code(() => sign({}, { secret: 'short', purpose: 'x', expiresIn: 60 }))).toBe('CONFIG_INVALID')
    expect(code(() => sign({}, { secret: SECRET, purpose: '', expiresIn: 60 }))).toBe('CONFIG_INVALID')
    expect(code(() => verify('x', { secret: 'short', purpose: 'x' }))).toBe('CONFIG_INVALID')
    expect(thrown(() => sign({}, { ...options, expiresIn: 0 }))).toBeInstanceOf(RangeError)
    expect(thrown(() => sign({}, { ...options, expiresIn: 1.5 }))).toBeInstanceOf(RangeError)
    expect(thrown(() => sign(undefined, { ...options, expiresIn: 60 }))).toBeInstanceOf(TypeError)
    expect(thrown(() => verify('x', { ...options, secret: [] }))).toBeInstanceOf(RangeError)
  })
})

describe('src/entries/crypto.ts (the gatehouse/crypto entry point)', () => {
  it('exports exactly the documented runtime names', async () => {
    const entry = await import('../src/entries/crypto.ts')
    expect(Object.keys(entry).sort()).toEqual([
      'Fernet',
      'InvalidToken',
      'MultiFernet',
      'decrypt',
      'decryptFletAesGcm',
      'encrypt',
      'sign',
      'verify',
      'verifyItsdangerous',
    ])
    expect(entry.verify).toBe(verify)
    expect(new entry.InvalidToken()).toBeInstanceOf(AuthError)
  })
})
