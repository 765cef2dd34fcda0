import { dictionary } from '@zxcvbn-ts/language-common'
import { describe, expect, it, vi } from 'vitest'
import { AuthError } from '../src/core/errors.ts'
import {
  checkPasswordPolicy,
  isCommonPassword,
  PasswordHasher,
} from '../src/core/methods/password/hashing/index.ts'

const EMOJI = '🦄' // one code point, two UTF-16 units, four UTF-8 bytes
const passphrase64 = 'Tr0ub4dor&3 purple monkey dishwasher; 64 characters exactly, ok!'
const emoji1000 = EMOJI.repeat(1000) // 4,000 bytes

describe('checkPasswordPolicy', () => {
  it('rejects a 7-character password as too_short and accepts 8', () => {
    expect(checkPasswordPolicy('xK9#mQ2')).toMatchObject({
      ok: false,
      code: 'WEAK_PASSWORD',
      reason: 'too_short',
    })
    expect(checkPasswordPolicy('xK9#mQ2v')).toEqual({ ok: true })
  })

  it('counts code points, not UTF-16 units', () => {
    // 7 code points but 11 UTF-16 units.
    expect(checkPasswordPolicy(`${EMOJI.repeat(4)}abc`)).toMatchObject({ ok: false, reason: 'too_short' })
    expect(checkPasswordPolicy(EMOJI.repeat(8))).toEqual({ ok: true })
  })

  it('honours a configured minimum, e.g. 15 when the password is the only factor', () => {
    expect(checkPasswordPolicy('xK9#mQ2vL0p!zR', { minLength: 15 })).toMatchObject({ reason: 'too_short' })
    expect(checkPasswordPolicy('xK9#mQ2vL0p!zR7', { minLength: 15 })).toEqual({ ok: true })
  })

  it.each(['password', '123456789', 'qwerty123', 'PASSWORD', 'Password', 'iloveyou', 'sunshine'])(
    'rejects the top-list password %j as common',
    (password) => {
      expect(checkPasswordPolicy(password)).toMatchObject({
        ok: false,
        code: 'WEAK_PASSWORD',
        reason: 'common',
      })
    },
  )

  it('rejects every one of the top 3,000 list entries that is long enough to reach the list check', () => {
    const top = dictionary['passwords-common'].slice(0, 3000).filter((p) => [...p].length >= 8)
    expect(top.length).toBeGreaterThan(500)
    for (const password of top)
      expect(checkPasswordPolicy(password), password).toMatchObject({ reason: 'common' })
    expect(isCommonPassword('zq8!Lm2#Vt')).toBe(false)
  })

  it('can switch the list off', () => {
    expect(checkPasswordPolicy('password', { rejectCommon: false })).toEqual({ ok: true })
  })

  it('rejects the username or email as the password, ignoring case', () => {
    const userInputs = ['Marguerite_77', 'Marguerite.Dupont@Example.com', null, '']
    for (const password of ['marguerite_77', 'MARGUERITE.DUPONT@EXAMPLE.COM', 'marguerite.dupont']) {
      expect(checkPasswordPolicy(password, { userInputs }), password).toMatchObject({
        ok: false,
        code: 'WEAK_PASSWORD',
        reason: 'contains_user_input',
      })
    }
    expect(checkPasswordPolicy('marguerite_77 likes tea', { userInputs })).toEqual({ ok: true })
  })

  it('accepts a 64-character passphrase and a 1,000-emoji passphrase', () => {
    expect([...passphrase64].length).toBe(64)
    expect(checkPasswordPolicy(passphrase64)).toEqual({ ok: true })
    expect(Buffer.byteLength(emoji1000)).toBe(4000)
    expect(checkPasswordPolicy(emoji1000)).toEqual({ ok: true })
  })

  it('accepts up to 1024 code points and 4096 bytes, and nothing longer', () => {
    expect(checkPasswordPolicy(EMOJI.repeat(1024))).toEqual({ ok: true }) // 1024 code points = 4096 bytes
    expect(checkPasswordPolicy(`${EMOJI.repeat(1024)}a`)).toMatchObject({
      ok: false,
      code: 'PASSWORD_TOO_LONG',
      reason: 'too_long',
    })
    expect(checkPasswordPolicy('a'.repeat(1025))).toMatchObject({
      code: 'PASSWORD_TOO_LONG',
      reason: 'too_long',
    })
  })

  it('applies the byte cap before counting: 4097 bytes is too long whatever the length limit', () => {
    const overBytes = `${EMOJI.repeat(1000)}${'é'.repeat(48)}a` // 1049 code points, 4097 bytes
    expect(Buffer.byteLength(overBytes)).toBe(4097)
    expect(checkPasswordPolicy(overBytes, { maxLength: 2000 })).toMatchObject({
      ok: false,
      code: 'PASSWORD_TOO_LONG',
      reason: 'too_long',
    })
    expect(checkPasswordPolicy('x'.repeat(1_000_000))).toMatchObject({ code: 'PASSWORD_TOO_LONG' })
  })

  it('does not trim or normalise', () => {
    // A common password with a leading space is no longer that password.
    expect(checkPasswordPolicy(' password')).toEqual({ ok: true })
    // Four decomposed é (e + combining accent) are 8 code points; NFC would make them 4.
    expect(checkPasswordPolicy('e\u0301'.repeat(4))).toEqual({ ok: true })
    expect(checkPasswordPolicy('        ')).toEqual({ ok: true }) // 8 spaces: no composition rules
  })

  it('fails closed on a policy that could not accept 64 characters', () => {
    expect(() => checkPasswordPolicy('whatever-long', { maxLength: 32 })).toThrow(AuthError)
    expect(() => checkPasswordPolicy('whatever-long', { minLength: 0 })).toThrow(/minLength/)
    expect(() => checkPasswordPolicy('whatever-long', { maxBytes: 100 })).toThrow(/maxBytes/)
  })

  it('treats a non-string as not acceptable rather than throwing', () => {
    expect(checkPasswordPolicy(undefined as unknown as string)).toMatchObject({
      ok: false,
      code: 'WEAK_PASSWORD',
    })
  })
})

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher()

  it('hashes with argon2id at the OWASP parameters and verifies exactly', async () => {
    const stored = await hasher.hash('Password1')
    expect(stored.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true)
    expect(await hasher.verify('Password1', stored)).toEqual({ valid: true, needsRehash: false })
    expect(await hasher.verify('password1', stored)).toEqual({ valid: false, needsRehash: false })
    expect(await hasher.verify('Password1 ', stored)).toEqual({ valid: false, needsRehash: false })
  })

  it('hashes and verifies a 64-character and a 1,000-emoji passphrase exactly, with no truncation', async () => {
    const [long, emoji] = await Promise.all([hasher.hash(passphrase64), hasher.hash(emoji1000)])
    const results = await Promise.all([
      hasher.verify(passphrase64, long),
      hasher.verify(`${passphrase64.slice(0, -1)}?`, long),
      hasher.verify(emoji1000, emoji),
      hasher.verify(EMOJI.repeat(999), emoji),
      hasher.verify(`${EMOJI.repeat(999)}🦊`, emoji),
    ])
    expect(results.map((r) => r.valid)).toEqual([true, false, true, false, false])
  })

  it('refuses 4097+ bytes with PASSWORD_TOO_LONG before any hashing work', async () => {
    const local = new PasswordHasher()
    const run = vi.spyOn(local.queue, 'run')
    const tooLong = `${EMOJI.repeat(1024)}a` // 4097 bytes
    const stored =
      '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQtMTZieXRlcw$5OfAJCphkA6iMYxv6dWB4NuR5Wku1oxeLHa3jNZ71kA'
    for (const attempt of [
      () => local.hash(tooLong),
      () => local.verify(tooLong, stored),
      () => local.verifyDummy(tooLong),
      () => local.hash('x'.repeat(10_000_000)),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        name: 'AuthError',
        code: 'PASSWORD_TOO_LONG',
        status: 400,
      })
    }
    expect(run).not.toHaveBeenCalled()

    // 4096 bytes exactly is fine, and does go through the queue.
    await expect(local.hash(EMOJI.repeat(1024))).resolves.toMatch(/^\$argon2id\$/)
    expect(run).toHaveBeenCalledTimes(1)
  })

  it('flags legacy and off-policy hashes for rehash on a successful verify', async () => {
    const cheap = new PasswordHasher({ memoryCost: 1024, timeCost: 1 })
    const offPolicy = await cheap.hash('s3cret-enough')
    expect(await cheap.verify('s3cret-enough', offPolicy)).toEqual({ valid: true, needsRehash: false })
    expect(await hasher.verify('s3cret-enough', offPolicy)).toEqual({ valid: true, needsRehash: true })
    const werkzeug = 'sha1$dJN81Aa8aoyn3134$0befb7452e6eb3b72a662887bb30c2be07d3dcb5'
    const bcrypt = '$2b$04$NYK/NJUPpsweQwVZ4FV4qeXsksnoC/T9X.joW2CNs9vgwAV5zx22K'
    const argon2i = '$argon2i$v=19$m=19456,t=2,p=1$U7CaLXvBYJfQpBtMEd05LQ$++odRevQ+8zRnaXZtAIB2A'
    for (const stored of [werkzeug, bcrypt, argon2i]) {
      expect(await hasher.verify('password', stored), stored).toEqual({ valid: true, needsRehash: true })
    }
  })

  it('verifyDummy does a current-policy argon2id verify through the queue and never matches', async () => {
    const local = new PasswordHasher({ memoryCost: 1024, timeCost: 1 })
    const run = vi.spyOn(local.queue, 'run')
    const results = await Promise.all([
      local.verifyDummy('guess'),
      local.verifyDummy(''),
      local.verifyDummy('guess'),
    ])
    expect(results).toEqual(Array(3).fill({ valid: false, needsRehash: false }))
    expect(run).toHaveBeenCalledTimes(3)
  })

  it('answers OVERLOADED at once when the queue is full', async () => {
    const local = new PasswordHasher({ memoryCost: 1024, timeCost: 1, concurrency: 1, maxWaiting: 0 })
    const first = local.hash('first-password')
    await expect(
      local.verify('second', '$2b$04$NYK/NJUPpsweQwVZ4FV4qeXsksnoC/T9X.joW2CNs9vgwAV5zx22K'),
    ).rejects.toMatchObject({
      code: 'OVERLOADED',
      retryAfter: 1,
    })
    await expect(first).resolves.toMatch(/^\$argon2id\$/)
  })

  it('fails closed on bad options', () => {
    expect(() => new PasswordHasher({ memoryCost: 4 })).toThrow(/memoryCost/)
    expect(() => new PasswordHasher({ concurrency: 0 })).toThrow(/concurrency/)
    expect(() => new PasswordHasher({ maxBytes: 10 })).toThrow(/maxBytes/)
  })
})
