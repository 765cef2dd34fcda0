import { describe, expect, it } from 'vitest'
import {
  constantTimeEqual,
  equalSha256Hex,
  randomBase62,
  randomToken,
  sha256Hex,
} from '../src/core/crypto/random.ts'
import { createSecretBox } from '../src/core/crypto/secretbox.ts'
import { AuthError } from '../src/core/errors.ts'

const SECRET = 'test-secret-that-is-at-least-32-bytes-long!'

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return error instanceof AuthError ? error.code : 'not an AuthError'
  }
  return undefined
}

describe('random', () => {
  it('randomToken: base64url of the requested bytes, never repeating, at least 128 bits', () => {
    const a = randomToken(16)
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(randomToken()).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(new Set(Array.from({ length: 1000 }, () => randomToken(16))).size).toBe(1000)
    expect(() => randomToken(8)).toThrow(RangeError)
  })

  it('randomBase62: only [0-9A-Za-z], every symbol reachable', () => {
    const s = randomBase62(20_000)
    expect(s).toMatch(/^[0-9A-Za-z]{20000}$/)
    expect(new Set(s).size).toBe(62)
  })

  it('sha256Hex matches the known digest', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })

  it('sha256Hex hashes the UTF-8 bytes (non-ASCII text)', () => {
    expect(sha256Hex('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c')
    expect(sha256Hex('é')).not.toBe(sha256Hex('e'))
  })

  it('equalSha256Hex: two hex digests compared in constant time; anything else is unequal, never a throw', () => {
    const a = sha256Hex('a')
    expect(equalSha256Hex(a, sha256Hex('a'))).toBe(true)
    expect(equalSha256Hex(a, sha256Hex('b'))).toBe(false)
    for (const bad of ['', a.slice(1), `${a}0`, a.toUpperCase(), `${a.slice(0, 63)}g`])
      expect([bad, equalSha256Hex(a, bad), equalSha256Hex(bad, bad)]).toEqual([bad, false, false])
  })

  it('constantTimeEqual: equality of any lengths, no throw on different lengths', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true)
    expect(constantTimeEqual('abc', 'abd')).toBe(false)
    expect(constantTimeEqual('abc', 'abcd')).toBe(false)
    expect(constantTimeEqual('', '')).toBe(true)
  })
})

describe('secretbox', () => {
  const box = createSecretBox(SECRET, 'signing-key:abc')

  it('round-trips text, with a fresh IV every time, in the versioned format', () => {
    const text = '-----BEGIN PRIVATE KEY-----\nÅß∂ 🔑\n-----END PRIVATE KEY-----\n'
    const a = box.seal(text)
    const b = box.seal(text)
    expect(a).not.toBe(b)
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/)
    expect(box.open(a)).toBe(text)
    expect(box.open(box.seal(''))).toBe('')
  })

  it('tampering with any part fails', () => {
    const sealed = box.seal('hello world')
    const [v, iv, body] = sealed.split('.') as [string, string, string]
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1)
    expect(code(() => box.open(`${v}.${flip(iv, 3)}.${body}`))).toBe('INVALID_TOKEN')
    expect(code(() => box.open(`${v}.${iv}.${flip(body, 0)}`))).toBe('INVALID_TOKEN')
    expect(code(() => box.open(`${v}.${iv}.${flip(body, body.length - 2)}`))).toBe('INVALID_TOKEN')
    expect(code(() => box.open(`${v}.${iv}.${body.slice(0, -4)}`))).toBe('INVALID_TOKEN')
    expect(code(() => box.open(`v2.${iv}.${body}`))).toBe('INVALID_TOKEN')
    expect(code(() => box.open(`${v}.${iv}`))).toBe('INVALID_TOKEN')
    expect(code(() => box.open('garbage'))).toBe('INVALID_TOKEN')
    expect(code(() => box.open(`${sealed} `))).toBe('INVALID_TOKEN')
  })

  it('a box sealed for one purpose does not open for another, nor under another secret', () => {
    const sealed = box.seal('hello')
    expect(code(() => createSecretBox(SECRET, 'signing-key:abd').open(sealed))).toBe('INVALID_TOKEN')
    expect(code(() => createSecretBox(SECRET, 'refresh-grace').open(sealed))).toBe('INVALID_TOKEN')
    expect(code(() => createSecretBox(`${SECRET}x`, 'signing-key:abc').open(sealed))).toBe('INVALID_TOKEN')
    expect(createSecretBox(SECRET, 'signing-key:abc').open(sealed)).toBe('hello')
  })

  it('refuses a short secret or an empty purpose at construction', () => {
    expect(code(() => createSecretBox('short', 'x'))).toBe('CONFIG_INVALID')
    expect(code(() => createSecretBox(SECRET, ''))).toBe('CONFIG_INVALID')
    expect(code(() => createSecretBox(new Uint8Array(32), 'x'))).toBeUndefined()
  })
})
