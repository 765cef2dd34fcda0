/**
 * The token service against its own keys: docs/security.md cases 1–6, 8 and 13
 * (tokens), key rotation, refresh rotation and reuse detection, revocation.
 * Remote verification and interop: tokens-remote.test.ts; API keys: tokens-api-keys.test.ts.
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { decodeProtectedHeader, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fakeClock } from '../src/core/clock.ts'
import { createSecretBox } from '../src/core/crypto/secretbox.ts'
import { AuthError, type ErrorCode } from '../src/core/errors.ts'
import type { SigningAlg } from '../src/core/tokens/jws.ts'
import { createTokenService, type TokenServiceOptions } from '../src/core/tokens/service.ts'
import type { KeyValueStore, SigningKeyStore, User } from '../src/stores/contracts.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'

const SECRET = 'a-test-server-secret-of-at-least-32-bytes'
const ISS = 'https://auth.example.test'
const AUD = 'https://api.example.test'

function makeUser(overrides: Partial<User> = {}): User {
  return {
    id: 'user-1',
    email: 'ada@example.test',
    username: 'ada',
    usernameNormalized: 'ada',
    name: 'Ada',
    passwordHash: null,
    active: true,
    emailVerified: true,
    createdAt: 0,
    lastLoginAt: null,
    roles: ['user'],
    permissions: [],
    ...overrides,
  }
}

/** A KV that can be switched off, to prove revocation checks fail closed. */
function switchableKv(inner: KeyValueStore): KeyValueStore & { down: boolean } {
  const kv = {
    down: false,
    get: (k: string) => (kv.down ? Promise.reject(new Error('ECONNREFUSED')) : inner.get(k)),
    set: (k: string, v: string, t: number) =>
      kv.down ? Promise.reject(new Error('ECONNREFUSED')) : inner.set(k, v, t),
    setIfAbsent: (k: string, v: string, t: number) =>
      kv.down ? Promise.reject(new Error('ECONNREFUSED')) : inner.setIfAbsent(k, v, t),
    delete: (k: string) => (kv.down ? Promise.reject(new Error('ECONNREFUSED')) : inner.delete(k)),
    take: (k: string) => (kv.down ? Promise.reject(new Error('ECONNREFUSED')) : inner.take(k)),
    increment: (k: string, t: number) =>
      kv.down ? Promise.reject(new Error('ECONNREFUSED')) : inner.increment(k, t),
  }
  return kv
}

/** Counts how often the key list is read (one per load/reload). */
function countingKeys(inner: SigningKeyStore): SigningKeyStore & { lists: number } {
  const s = {
    lists: 0,
    listSigningKeys: () => {
      s.lists++
      return inner.listSigningKeys()
    },
    addSigningKey: inner.addSigningKey.bind(inner),
    retireSigningKey: inner.retireSigningKey.bind(inner),
    deleteSigningKey: inner.deleteSigningKey.bind(inner),
  }
  return s
}

function setup(options: Partial<TokenServiceOptions> = {}) {
  const clock = fakeClock(Date.UTC(2026, 0, 1, 12))
  const stores = createMemoryStores({ clock })
  const kv = switchableKv(stores.kv)
  const signingKeys = countingKeys(stores.signingKeys)
  const users = new Map<string, User>()
  const user = makeUser()
  users.set(user.id, user)
  const loadUser = async (id: string) => users.get(id) ?? null
  const base = { kv, signingKeys, clock, secret: SECRET, issuer: ISS, audience: AUD }
  const service = createTokenService({ ...base, ...options })
  /** A second instance over the same stores (another process), with its own key cache. */
  const peer = (more: Partial<TokenServiceOptions> = {}) =>
    createTokenService({ ...base, ...options, ...more })
  return { clock, stores, kv, signingKeys, users, user, loadUser, service, peer }
}

async function codeOf(promise: Promise<unknown>): Promise<ErrorCode | 'resolved'> {
  try {
    await promise
    return 'resolved'
  } catch (error) {
    if (error instanceof AuthError) return error.code
    throw error
  }
}

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url')

interface RawKey {
  kid: string
  alg: SigningAlg
  privateKey: KeyObject
  publicJwk: JWK
}

/** The server's current private key, unsealed the way only the server can (tests craft validly signed hostile tokens with it). */
async function serverKey(signingKeys: SigningKeyStore): Promise<RawKey> {
  const records = await signingKeys.listSigningKeys()
  const rec = records.filter((r) => r.retiredAt === null).at(-1)!
  const pem = createSecretBox(SECRET, `signing-key:${rec.kid}`).open(rec.privateKeyEncrypted)
  return {
    kid: rec.kid,
    alg: rec.alg,
    privateKey: createPrivateKey(pem),
    publicJwk: JSON.parse(rec.publicJwk),
  }
}

function signWith(alg: string, privateKey: KeyObject, input: string): Buffer {
  const data = Buffer.from(input, 'ascii')
  if (alg === 'EdDSA') return sign(null, data, privateKey)
  if (alg === 'ES256') return sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
  return sign('sha256', data, privateKey)
}

/** header.payload signed with the given key, no questions asked (a hostile issuer). */
function craft(header: Record<string, unknown>, claims: Record<string, unknown>, key: RawKey): string {
  const input = `${b64(header)}.${b64(claims)}`
  return `${input}.${signWith(key.alg, key.privateKey, input).toString('base64url')}`
}

function hs256(header: Record<string, unknown>, claims: Record<string, unknown>, secret: Buffer): string {
  const input = `${b64(header)}.${b64(claims)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

function claimsAt(nowMs: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(nowMs / 1000)
  return {
    iss: ISS,
    aud: AUD,
    sub: 'user-1',
    iat: now,
    nbf: now,
    exp: now + 900,
    jti: 'crafted-jti-0000000000',
    typ: 'access',
    roles: ['admin'],
    fresh: true,
    ...overrides,
  }
}

/** A local HTTP server that counts requests: proof that no header makes the verifier fetch. */
let trap: Server
let trapUrl = ''
let trapHits = 0
beforeAll(async () => {
  trap = createServer((_req, res) => {
    trapHits++
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"keys":[]}')
  })
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve))
  trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => trap.close(() => resolve())))

// ---------------------------------------------------------------------------------------

describe.each(['EdDSA', 'RS256', 'ES256'] as const)('hostile tokens against Gatehouse keys (%s)', (alg) => {
  const t = setup({ alg })
  let key: RawKey
  let good: string

  beforeAll(async () => {
    good = (await t.service.issuePair(t.user, { fresh: true })).access_token
    key = await serverKey(t.signingKeys)
  })

  it('control: an issued token verifies; a crafted token with the right header and key verifies', async () => {
    const claims = await t.service.verifyAccess(good)
    expect(claims.sub).toBe('user-1')
    expect(decodeProtectedHeader(good)).toEqual({ alg, kid: key.kid, typ: 'at+jwt' })
    const crafted = craft({ alg, kid: key.kid, typ: 'at+jwt' }, claimsAt(t.clock()), key)
    await expect(t.service.verifyAccess(crafted, { checkRevocation: false })).resolves.toMatchObject({
      roles: ['admin'],
    })
  })

  it('case 1: alg none / None / NONE / nOnE, with an empty or a kept signature → TOKEN_INVALID', async () => {
    const [, payload, sig] = good.split('.') as [string, string, string]
    for (const none of ['none', 'None', 'NONE', 'nOnE']) {
      const header = b64({ alg: none, kid: key.kid, typ: 'at+jwt' })
      expect(await codeOf(t.service.verifyAccess(`${header}.${payload}.`))).toBe('TOKEN_INVALID')
      expect(await codeOf(t.service.verifyAccess(`${header}.${payload}.${sig}`))).toBe('TOKEN_INVALID')
      expect(await codeOf(t.service.verifyAccess(`${header}.${payload}`))).toBe('TOKEN_INVALID')
    }
    const [h] = good.split('.')
    expect(await codeOf(t.service.verifyAccess(`${h}.${payload}.`))).toBe('TOKEN_INVALID')
  })

  it('case 2: HS256 signed with the public key (PEM, PEM with leading whitespace, JWK JSON, raw bytes) → TOKEN_INVALID', async () => {
    const pem = createPublicKey({ key: key.publicJwk, format: 'jwk' } as never).export({
      type: 'spki',
      format: 'pem',
    }) as string
    const der = createPublicKey({ key: key.publicJwk, format: 'jwk' } as never).export({
      type: 'spki',
      format: 'der',
    })
    const secrets = [
      pem,
      `\n${pem}`,
      ` ${pem}`,
      pem.trim(),
      JSON.stringify(key.publicJwk),
      JSON.stringify(await t.service.jwks()),
    ].map((s) => Buffer.from(s, 'utf8'))
    secrets.push(der)
    for (const secret of secrets) {
      const token = hs256({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' }, claimsAt(t.clock()), secret)
      expect(await codeOf(t.service.verifyAccess(token))).toBe('TOKEN_INVALID')
    }
  })

  it('case 3: jwk / jku / x5u / x5c headers → TOKEN_INVALID and no fetch, even with a valid signature by our key', async () => {
    const hitsBefore = trapHits
    const attacker = generateKeyPairSync('ed25519')
    const attackerJwk = attacker.publicKey.export({ format: 'jwk' })
    const attackerKey: RawKey = {
      kid: key.kid,
      alg: 'EdDSA',
      privateKey: attacker.privateKey,
      publicJwk: attackerJwk,
    }
    const base = { alg, kid: key.kid, typ: 'at+jwt' }
    const hostile = [
      craft({ ...base, alg: 'EdDSA', jwk: attackerJwk }, claimsAt(t.clock()), attackerKey),
      craft({ ...base, jwk: key.publicJwk }, claimsAt(t.clock()), key),
      craft({ ...base, jku: `${trapUrl}/jwks.json` }, claimsAt(t.clock()), key),
      craft({ ...base, x5u: `${trapUrl}/cert.pem` }, claimsAt(t.clock()), key),
      craft({ ...base, x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] }, claimsAt(t.clock()), key),
      craft({ alg: 'EdDSA', typ: 'at+jwt', jku: `${trapUrl}/jwks.json` }, claimsAt(t.clock()), attackerKey),
    ]
    for (const token of hostile) expect(await codeOf(t.service.verifyAccess(token))).toBe('TOKEN_INVALID')
    await new Promise((r) => setTimeout(r, 50))
    expect(trapHits).toBe(hitsBefore)
  })

  it('case 3: kid of ../../dev/null, SQL, unknown, missing, or not a string → TOKEN_INVALID, at most one key reload', async () => {
    const listsBefore = t.signingKeys.lists
    t.clock.advance(61_000) // past the reload cooldown, so an unknown kid may reload once
    const kids: unknown[] = [
      '../../dev/null',
      "' OR 1=1--",
      'AAAAAAAAAAAAAAAAAAAAAA',
      'BBBBBBBBBBBBBBBBBBBBBB',
      '',
      42,
      null,
    ]
    for (const kid of kids) {
      const token = craft({ alg, kid, typ: 'at+jwt' }, claimsAt(t.clock()), key)
      expect(await codeOf(t.service.verifyAccess(token))).toBe('TOKEN_INVALID')
    }
    const noKid = craft({ alg, typ: 'at+jwt' }, claimsAt(t.clock()), key)
    expect(await codeOf(t.service.verifyAccess(noKid))).toBe('TOKEN_INVALID')
    // Two well-formed unknown kids in a row: one reload between them, not two.
    expect(t.signingKeys.lists - listsBefore).toBe(1)
  })

  it('case 4: exp / nbf / iat on a fake clock; one second before exp accepted, at exp rejected', async () => {
    const c = setup({ alg })
    const pair = await c.service.issuePair(c.user)
    const claims = await c.service.verifyAccess(pair.access_token)
    expect(claims.exp - claims.iat).toBe(900)
    c.clock.set(claims.exp * 1000 - 1000)
    await expect(c.service.verifyAccess(pair.access_token)).resolves.toBeTruthy()
    c.clock.set(claims.exp * 1000 - 1)
    await expect(c.service.verifyAccess(pair.access_token)).resolves.toBeTruthy()
    c.clock.set(claims.exp * 1000)
    expect(await codeOf(c.service.verifyAccess(pair.access_token))).toBe('TOKEN_INVALID')

    const k = await serverKey(c.signingKeys)
    const h = { alg, kid: k.kid, typ: 'at+jwt' }
    const now = Math.floor(c.clock() / 1000)
    const cases = {
      expired: claimsAt(c.clock(), { exp: now - 1 }),
      // Past the default clock skew (5 s) that nbf/iat may lie ahead.
      futureNbf: claimsAt(c.clock(), { nbf: now + 6 }),
      farFutureIat: claimsAt(c.clock(), { iat: now + 3600 }),
      nbfMissing: claimsAt(c.clock(), { nbf: undefined }),
      expMissing: claimsAt(c.clock(), { exp: undefined }),
      expString: claimsAt(c.clock(), { exp: String(now + 100) }),
    }
    for (const [name, cl] of Object.entries(cases)) {
      expect([name, await codeOf(c.service.verifyAccess(craft(h, cl, k)))]).toEqual([name, 'TOKEN_INVALID'])
    }
  })

  it('case 5: wrong aud / iss / typ; a refresh token is not an access token and vice versa', async () => {
    const h = { alg, kid: key.kid, typ: 'at+jwt' }
    const now = t.clock()
    const wrong = [
      craft(h, claimsAt(now, { aud: 'https://other.example.test' }), key),
      craft(h, claimsAt(now, { aud: [] }), key),
      craft(h, claimsAt(now, { aud: undefined }), key),
      craft(h, claimsAt(now, { iss: 'https://evil.example.test' }), key),
      craft(h, claimsAt(now, { iss: `${ISS}/` }), key),
      craft(h, claimsAt(now, { typ: 'refresh' }), key),
      craft(h, claimsAt(now, { typ: undefined }), key),
      craft({ ...h, typ: 'JWT' }, claimsAt(now), key),
      craft({ ...h, typ: 'AT+JWT' }, claimsAt(now), key),
      craft({ alg, kid: key.kid }, claimsAt(now), key),
      craft(h, claimsAt(now, { roles: 'admin' }), key),
      craft(h, claimsAt(now, { sub: 42 }), key),
    ]
    for (const token of wrong) expect(await codeOf(t.service.verifyAccess(token))).toBe('TOKEN_INVALID')
    await expect(
      t.service.verifyAccess(craft(h, claimsAt(now, { aud: [AUD, 'x'] }), key)),
    ).resolves.toBeTruthy()

    // Another audience/issuer configured: a valid token of ours is not theirs.
    expect(await codeOf(t.peer({ audience: 'https://billing.example.test' }).verifyAccess(good))).toBe(
      'TOKEN_INVALID',
    )
    expect(await codeOf(t.peer({ issuer: 'https://other-issuer.test' }).verifyAccess(good))).toBe(
      'TOKEN_INVALID',
    )

    const pair = await t.service.issuePair(t.user)
    expect(await codeOf(t.service.verifyAccess(pair.refresh_token))).toBe('TOKEN_INVALID')
    expect(await codeOf(t.service.refresh(pair.access_token, t.loadUser))).toBe('TOKEN_INVALID')
  })

  it('case 6: crit ["x"] (and b64:false) with a valid signature → TOKEN_INVALID', async () => {
    const h = { alg, kid: key.kid, typ: 'at+jwt' }
    for (const extra of [
      { crit: ['x'], x: 1 },
      { crit: ['b64'], b64: false },
      { crit: [] },
      { zip: 'DEF' },
    ]) {
      const token = craft({ ...h, ...extra }, claimsAt(t.clock()), key)
      expect(await codeOf(t.service.verifyAccess(token))).toBe('TOKEN_INVALID')
    }
  })

  it('structural: tampered payload, non-canonical base64url, oversize, JSON serialization → TOKEN_INVALID', async () => {
    const [h, p, s] = good.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
    const tampered = [
      `${h}.${b64({ ...claims, roles: ['admin'] })}.${s}`,
      `${h}.${p}.${s}=`,
      `${h}=.${p}.${s}`,
      `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}${/[-_]/.test(s) ? '' : '+'}`,
      `${h}.${p} .${s}`,
      ` ${good}`,
      `${good}\n`,
      `${good}.`,
      `${h}.${p}`,
      `${h}.${p}.${s}.${s}`,
      `${h}.${p}.${'A'.repeat(9000)}`,
      JSON.stringify({ protected: h, payload: p, signature: s }),
      '',
    ]
    for (const token of tampered) expect(await codeOf(t.service.verifyAccess(token))).toBe('TOKEN_INVALID')
    // Non-zero trailing bits: same signature bytes, another spelling.
    const last = s.at(-1)!
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const spare = s.length % 4 === 2 ? 0b1111 : 0b11
    const respelt = `${s.slice(0, -1)}${alphabet[alphabet.indexOf(last) | 1 | (spare & 0b10)]}`
    expect(Buffer.from(respelt, 'base64url')).toEqual(Buffer.from(s, 'base64url'))
    expect(await codeOf(t.service.verifyAccess(`${h}.${p}.${respelt}`))).toBe('TOKEN_INVALID')
  })
})

// ---------------------------------------------------------------------------------------

describe('issuing', () => {
  it('claims: sub, iat, exp, nbf, jti, iss, aud, typ, roles, fresh; header typ at+jwt with kid', async () => {
    const t = setup()
    const pair = await t.service.issuePair(t.user, { fresh: true })
    expect(pair).toMatchObject({ token_type: 'Bearer', expires_in: 900 })
    const claims = await t.service.verifyAccess(pair.access_token)
    const now = Math.floor(t.clock() / 1000)
    expect(claims).toEqual({
      iss: ISS,
      aud: AUD,
      sub: 'user-1',
      iat: now,
      nbf: now,
      exp: now + 900,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      typ: 'access',
      roles: ['user'],
      fresh: true,
    })
    const second = await t.service.verifyAccess((await t.service.issuePair(t.user)).access_token)
    expect(second.fresh).toBe(false)
    expect(second.jti).not.toBe(claims.jti)
  })

  it('verified tokens are cached: claims handed out are copies, and the cache can be turned off', async () => {
    for (const verifyCacheSize of [10_000, 0]) {
      const t = setup({ verifyCacheSize })
      const pair = await t.service.issuePair(t.user)
      const first = await t.service.verifyAccess(pair.access_token)
      first.roles.push('admin')
      first.sub = 'someone-else'
      const second = await t.service.verifyAccess(pair.access_token)
      expect(second.roles).toEqual(['user'])
      expect(second.sub).toBe('user-1')
      const { exp } = second
      t.clock.set(exp * 1000)
      expect(await codeOf(t.service.verifyAccess(pair.access_token))).toBe('TOKEN_INVALID')
    }
  })

  it('additionalClaims adds app claims; a reserved claim is refused loudly', async () => {
    const t = setup({ additionalClaims: (u) => ({ tenant: 'acme', email: u.email, perms: ['a'] }) })
    const claims = await t.service.verifyAccess((await t.service.issuePair(t.user)).access_token)
    expect(claims).toMatchObject({ tenant: 'acme', email: 'ada@example.test', perms: ['a'], sub: 'user-1' })

    for (const reserved of ['sub', 'roles', 'exp', 'iss', 'aud', 'typ', 'fresh', 'jti']) {
      const bad = setup({ additionalClaims: () => ({ [reserved]: 'x' }) })
      expect(await codeOf(bad.service.issuePair(bad.user))).toBe('CONFIG_INVALID')
    }
  })

  it('an inactive user gets no tokens', async () => {
    const t = setup()
    expect(await codeOf(t.service.issuePair(makeUser({ active: false })))).toBe('ACCOUNT_DISABLED')
  })

  it('options are validated once, naming the option', () => {
    const { stores } = setup()
    const base = {
      kv: stores.kv,
      signingKeys: stores.signingKeys,
      secret: SECRET,
      issuer: ISS,
      audience: AUD,
    }
    const bad: Record<string, unknown>[] = [
      { accessTtl: 0 },
      { leeway: 3600 },
      { alg: 'HS256' },
      { alg: 'none' },
      { refreshGrace: -1 },
      { issuer: '' },
      { secret: 'short' },
      { acessTtl: 60 },
    ]
    for (const extra of bad) {
      expect(() => createTokenService({ ...base, ...extra } as TokenServiceOptions)).toThrow(AuthError)
    }
    try {
      createTokenService({ ...base, acessTtl: 60 } as unknown as TokenServiceOptions)
    } catch (error) {
      expect((error as AuthError).code).toBe('CONFIG_INVALID')
      expect((error as AuthError).message).toContain('acessTtl')
    }
  })

  it('tokens of an instance whose clock runs ahead are accepted within the clock skew; exp stays strict', async () => {
    const ahead = setup()
    // Another instance on the same stores whose clock is 3 s behind the issuer's.
    const behind = { clock: fakeClock(ahead.clock()) }
    const verifier = ahead.peer({ clock: behind.clock })
    ahead.clock.set(behind.clock() + 3000)
    const pair = await ahead.service.issuePair(ahead.user)
    const claims = await verifier.verifyAccess(pair.access_token)
    expect(claims.iat - Math.floor(behind.clock() / 1000)).toBe(3)
    // 6 s ahead is past the default skew of 5 s: refused.
    ahead.clock.set(behind.clock() + 6000)
    const early = await ahead.service.issuePair(ahead.user)
    expect(await codeOf(verifier.verifyAccess(early.access_token))).toBe('TOKEN_INVALID')
    // exp gets no such slack: dead at its exp second.
    behind.clock.set(claims.exp * 1000)
    expect(await codeOf(verifier.verifyAccess(pair.access_token))).toBe('TOKEN_INVALID')
    // clockSkew 0 restores the strict check on iat/nbf.
    const strict = ahead.peer({ clock: behind.clock, clockSkew: 0 })
    ahead.clock.set(behind.clock() + 1000)
    const ahead1 = await ahead.service.issuePair(ahead.user)
    expect(await codeOf(strict.verifyAccess(ahead1.access_token))).toBe('TOKEN_INVALID')
    await expect(verifier.verifyAccess(ahead1.access_token)).resolves.toBeTruthy()
  })

  it('leeway (configured, small) applies to exp', async () => {
    const t = setup({ leeway: 5 })
    const pair = await t.service.issuePair(t.user)
    const { exp } = await t.service.verifyAccess(pair.access_token)
    t.clock.set((exp + 4) * 1000)
    await expect(t.service.verifyAccess(pair.access_token)).resolves.toBeTruthy()
    t.clock.set((exp + 5) * 1000)
    expect(await codeOf(t.service.verifyAccess(pair.access_token))).toBe('TOKEN_INVALID')
  })
})

// ---------------------------------------------------------------------------------------

describe('signing keys', () => {
  it('EdDSA by default; private key stored sealed under the secret, bound to its kid', async () => {
    const t = setup()
    await t.service.issuePair(t.user)
    const [rec] = await t.stores.signingKeys.listSigningKeys()
    expect(rec!.alg).toBe('EdDSA')
    expect(rec!.kid).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(rec!.privateKeyEncrypted).toMatch(/^v1\./)
    expect(rec!.privateKeyEncrypted).not.toContain('PRIVATE')
    expect(JSON.parse(rec!.publicJwk)).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      kid: rec!.kid,
      alg: 'EdDSA',
      use: 'sig',
    })
    expect(JSON.parse(rec!.publicJwk).d).toBeUndefined()
    expect(() => createSecretBox(SECRET, 'signing-key:other').open(rec!.privateKeyEncrypted)).toThrow(
      AuthError,
    )

    // Another secret cannot use the stored key: a loud configuration error, not a silent new key.
    const wrong = createTokenService({
      kv: t.kv,
      signingKeys: t.stores.signingKeys,
      clock: t.clock,
      secret: `${SECRET}-changed`,
      issuer: ISS,
      audience: AUD,
    })
    expect(await codeOf(wrong.issuePair(t.user))).toBe('CONFIG_INVALID')
  })

  it.each(['RS256', 'ES256'] as const)('%s is configurable', async (alg) => {
    const t = setup({ alg })
    const pair = await t.service.issuePair(t.user)
    expect(decodeProtectedHeader(pair.access_token).alg).toBe(alg)
    const { keys } = await t.service.jwks()
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatchObject({ alg, use: 'sig', kty: alg === 'RS256' ? 'RSA' : 'EC' })
    expect(keys[0]!.d).toBeUndefined()
  })

  it('one key per process at first start, even under concurrent first logins', async () => {
    const t = setup()
    await Promise.all(Array.from({ length: 20 }, () => t.service.issuePair(t.user)))
    expect(await t.stores.signingKeys.listSigningKeys()).toHaveLength(1)
  })

  it('rotation: old and new tokens verify until the old ones expire; the old key then leaves the JWKS', async () => {
    const t = setup()
    const before = await t.service.issuePair(t.user)
    const oldKid = decodeProtectedHeader(before.access_token).kid
    const rotated = await t.service.rotateKeys()
    expect(rotated.kid).not.toBe(oldKid)
    const after = await t.service.issuePair(t.user)
    expect(decodeProtectedHeader(after.access_token).kid).toBe(rotated.kid)

    expect((await t.service.jwks()).keys.map((k) => k.kid)).toEqual([rotated.kid, oldKid])
    await expect(t.service.verifyAccess(before.access_token)).resolves.toBeTruthy()
    await expect(t.service.verifyAccess(after.access_token)).resolves.toBeTruthy()

    // Another instance with a warm cache learns the new key from the unknown kid.
    const peer = t.peer()
    await expect(peer.verifyAccess(before.access_token)).resolves.toBeTruthy()

    // Until the last token of the old key has expired, it stays published.
    t.clock.advance(899_000)
    await expect(t.service.verifyAccess(before.access_token)).resolves.toBeTruthy()
    expect((await t.service.jwks()).keys).toHaveLength(2)
    // Retired key lives: access TTL + leeway + key-cache interval (other instances may sign with it that long).
    t.clock.advance(1_000 + 60_000)
    const { keys } = await t.service.jwks()
    expect(keys.map((k) => k.kid)).toEqual([rotated.kid])
    await expect(
      t.service.verifyAccess((await t.service.issuePair(t.user)).access_token),
    ).resolves.toBeTruthy()

    // The next rotation deletes keys that have expired.
    await t.service.rotateKeys()
    const kids = (await t.stores.signingKeys.listSigningKeys()).map((k) => k.kid)
    expect(kids).not.toContain(oldKid)
    expect(kids).toContain(rotated.kid)
  })

  it('a key removed from the store (e.g. compromised) stops verifying within the key-cache interval, even for tokens already verified', async () => {
    const t = setup()
    const pair = await t.service.issuePair(t.user)
    await expect(t.service.verifyAccess(pair.access_token)).resolves.toBeTruthy()
    const [rec] = await t.stores.signingKeys.listSigningKeys()
    await t.stores.signingKeys.deleteSigningKey(rec!.kid)
    t.clock.advance(61_000)
    expect(await codeOf(t.service.verifyAccess(pair.access_token))).toBe('TOKEN_INVALID')
  })

  it('a token signed by an expired retired key is refused even with its signature intact', async () => {
    const t = setup({ accessTtl: 60 })
    await t.service.issuePair(t.user)
    const oldKey = await serverKey(t.signingKeys)
    await t.service.rotateKeys()
    t.clock.advance(60_000 + 60_000)
    const forged = craft({ alg: 'EdDSA', kid: oldKey.kid, typ: 'at+jwt' }, claimsAt(t.clock()), oldKey)
    expect(await codeOf(t.service.verifyAccess(forged))).toBe('TOKEN_INVALID')
  })
})

// ---------------------------------------------------------------------------------------

describe('refresh tokens', () => {
  it('are opaque, rotate on every use, and each access token they give is not fresh', async () => {
    const t = setup()
    const p0 = await t.service.issuePair(t.user, { fresh: true })
    expect(p0.refresh_token).toMatch(/^[A-Za-z0-9_-]{22}\.1\.[A-Za-z0-9_-]{43}$/)
    const p1 = await t.service.refresh(p0.refresh_token, t.loadUser)
    expect(p1.refresh_token).not.toBe(p0.refresh_token)
    expect(p1.refresh_token.split('.')[0]).toBe(p0.refresh_token.split('.')[0]) // same family
    expect((await t.service.verifyAccess(p1.access_token)).fresh).toBe(false)
    const p2 = await t.service.refresh(p1.refresh_token, t.loadUser)
    await expect(t.service.verifyAccess(p2.access_token)).resolves.toBeTruthy()
  })

  it('nothing stored can be turned back into a token, and storage per family stays constant however often it rotates', async () => {
    const t = setup()
    const writes: string[] = []
    const keys = new Set<string>()
    const spy: KeyValueStore = {
      get: (k) => t.stores.kv.get(k),
      take: (k) => {
        keys.delete(k)
        return t.stores.kv.take(k)
      },
      delete: (k) => {
        keys.delete(k)
        return t.stores.kv.delete(k)
      },
      setIfAbsent: (k, v, s) => t.stores.kv.setIfAbsent(k, v, s),
      increment: (k, s) => t.stores.kv.increment(k, s),
      set: (k, v, s) => {
        writes.push(k, v)
        keys.add(k)
        return t.stores.kv.set(k, v, s)
      },
    }
    const service = createTokenService({
      kv: spy,
      signingKeys: t.stores.signingKeys,
      clock: t.clock,
      secret: SECRET,
      issuer: ISS,
      audience: AUD,
    })
    let pair = await service.issuePair(t.user)
    const tags = [pair.refresh_token.split('.')[2]!]
    for (let i = 0; i < 100; i++) {
      pair = await service.refresh(pair.refresh_token, t.loadUser)
      tags.push(pair.refresh_token.split('.')[2]!)
    }
    for (const text of writes) for (const tag of tags) expect(text).not.toContain(tag)
    // The family record, the live token's marker, the newest-token record: three keys after 100 rotations.
    expect([...keys].sort().map((k) => k.replace(/:[A-Za-z0-9_-]{22}/, ':<family>'))).toEqual([
      'tok:fam:<family>',
      'tok:last:<family>',
      'tok:rt:<family>:101',
    ])
  })

  it('a forged token naming a real family is TOKEN_INVALID and does not touch the family', async () => {
    const t = setup()
    const p0 = await t.service.issuePair(t.user)
    const [family] = p0.refresh_token.split('.') as [string]
    for (const forged of [
      `${family}.1.${'A'.repeat(43)}`,
      `${family}.7.${'B'.repeat(43)}`,
      `${family}.0.${p0.refresh_token.split('.')[2]}`,
    ]) {
      expect(await codeOf(t.service.refresh(forged, t.loadUser))).toBe('TOKEN_INVALID')
      expect(await t.service.revokeFamilyOf(forged)).toBe(false)
    }
    await expect(t.service.refresh(p0.refresh_token, t.loadUser)).resolves.toBeTruthy()
  })

  it('case 8: replay after rotation → TOKEN_REUSED; the whole family dies, the winner’s new tokens too', async () => {
    const t = setup()
    const p0 = await t.service.issuePair(t.user)
    const p1 = await t.service.refresh(p0.refresh_token, t.loadUser) // the thief (or the user) rotates
    await expect(t.service.verifyAccess(p1.access_token)).resolves.toBeTruthy()
    expect(await codeOf(t.service.refresh(p0.refresh_token, t.loadUser))).toBe('TOKEN_REUSED')
    expect(await codeOf(t.service.refresh(p1.refresh_token, t.loadUser))).toBe('TOKEN_INVALID')
    expect(await codeOf(t.service.verifyAccess(p1.access_token))).toBe('TOKEN_INVALID')
    // Another family of the same user (another device) is untouched.
    const other = await t.service.issuePair(t.user)
    await expect(t.service.refresh(other.refresh_token, t.loadUser)).resolves.toBeTruthy()
  })

  it('case 8: reuse detected while the legitimate refresh is in flight: that refresh fails too', async () => {
    const t = setup()
    const p0 = await t.service.issuePair(t.user)
    const p1 = await t.service.refresh(p0.refresh_token, t.loadUser)
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let paused!: () => void
    const reached = new Promise<void>((resolve) => {
      paused = resolve
    })
    const slowLoadUser = async (id: string) => {
      paused()
      await gate
      return t.loadUser(id)
    }
    const inFlight = codeOf(t.service.refresh(p1.refresh_token, slowLoadUser))
    await reached
    expect(await codeOf(t.service.refresh(p0.refresh_token, t.loadUser))).toBe('TOKEN_REUSED')
    release()
    expect(await inFlight).toBe('TOKEN_INVALID')
  })

  it('case 8: 50 concurrent refreshes of one token → exactly one succeeds, the family intact for the winner; a later replay kills it', async () => {
    const t = setup()
    const p0 = await t.service.issuePair(t.user)
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => t.service.refresh(p0.refresh_token, t.loadUser)),
    )
    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(49)
    for (const r of lost) expect((r.reason as AuthError).code).toBe('TOKEN_INVALID')
    const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof t.service.refresh>>>).value
    await expect(t.service.verifyAccess(winner.access_token)).resolves.toBeTruthy()

    // Replaying the spent token after the race: reuse; the winner's token dies too.
    expect(await codeOf(t.service.refresh(p0.refresh_token, t.loadUser))).toBe('TOKEN_REUSED')
    expect(await codeOf(t.service.refresh(winner.refresh_token, t.loadUser))).toBe('TOKEN_INVALID')
    expect(await codeOf(t.service.verifyAccess(winner.access_token))).toBe('TOKEN_INVALID')
  })

  it('50 concurrent refreshes on two instances sharing the store → exactly one succeeds', async () => {
    const t = setup()
    const other = t.peer()
    const p0 = await t.service.issuePair(t.user)
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? other : t.service).refresh(p0.refresh_token, t.loadUser)),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
  })

  it('refresh after the user is deactivated or deleted fails and ends the family', async () => {
    const t = setup()
    const p0 = await t.service.issuePair(t.user)
    t.users.set('user-1', makeUser({ active: false }))
    expect(await codeOf(t.service.refresh(p0.refresh_token, t.loadUser))).toBe('TOKEN_INVALID')
    expect(await codeOf(t.service.verifyAccess(p0.access_token))).toBe('TOKEN_INVALID')

    const p1 = await t.service.issuePair(t.user)
    t.users.delete('user-1')
    expect(await codeOf(t.service.refresh(p1.refresh_token, t.loadUser))).toBe('TOKEN_INVALID')
  })

  it('families end 30 days after login whatever the activity (absolute expiry)', async () => {
    const t = setup()
    let pair = await t.service.issuePair(t.user)
    for (let day = 0; day < 29; day++) {
      t.clock.advance(24 * 3600 * 1000)
      pair = await t.service.refresh(pair.refresh_token, t.loadUser)
    }
    t.clock.advance(24 * 3600 * 1000)
    expect(await codeOf(t.service.refresh(pair.refresh_token, t.loadUser))).toBe('TOKEN_INVALID')
  })

  it('garbage, unknown and access tokens are TOKEN_INVALID, never a crash', async () => {
    const t = setup()
    for (const junk of [
      '',
      'x',
      'a.b',
      `${'A'.repeat(22)}.${'B'.repeat(43)}`,
      'x'.repeat(100_000),
      null,
      42,
    ]) {
      expect(await codeOf(t.service.refresh(junk as string, t.loadUser))).toBe('TOKEN_INVALID')
    }
  })

  it('grace (optional): within it a retried spent token returns the same successor pair; after it, reuse', async () => {
    const t = setup({ refreshGrace: 10 })
    const p0 = await t.service.issuePair(t.user)
    const p1 = await t.service.refresh(p0.refresh_token, t.loadUser)
    t.clock.advance(9_000)
    expect(await t.service.refresh(p0.refresh_token, t.loadUser)).toEqual(p1)
    t.clock.advance(2_000)
    expect(await codeOf(t.service.refresh(p0.refresh_token, t.loadUser))).toBe('TOKEN_REUSED')
    expect(await codeOf(t.service.refresh(p1.refresh_token, t.loadUser))).toBe('TOKEN_INVALID')
  })
})

// ---------------------------------------------------------------------------------------

describe('revocation', () => {
  it('revokeAccess: that token only, by jti', async () => {
    const t = setup()
    const a = await t.service.issuePair(t.user)
    const b = await t.service.issuePair(t.user)
    await t.service.revokeAccess(await t.service.verifyAccess(a.access_token))
    expect(await codeOf(t.service.verifyAccess(a.access_token))).toBe('TOKEN_INVALID')
    await expect(t.service.verifyAccess(b.access_token)).resolves.toBeTruthy()
    // The check is optional per call (offline verification ignores revocation).
    await expect(t.service.verifyAccess(a.access_token, { checkRevocation: false })).resolves.toBeTruthy()
  })

  it('revokeFamilyOf (logout): the refresh family and its newest access token end', async () => {
    const t = setup()
    const p0 = await t.service.issuePair(t.user)
    const p1 = await t.service.refresh(p0.refresh_token, t.loadUser)
    expect(await t.service.revokeFamilyOf(p1.refresh_token)).toBe(true)
    expect(await codeOf(t.service.refresh(p1.refresh_token, t.loadUser))).toBe('TOKEN_INVALID')
    expect(await codeOf(t.service.verifyAccess(p1.access_token))).toBe('TOKEN_INVALID')
    expect(await t.service.revokeFamilyOf('unknown')).toBe(false)
  })

  it('case 13: revokeAllForUser kills every access and refresh token of the user, and a login right after works', async () => {
    const t = setup()
    const devices = await Promise.all([t.service.issuePair(t.user), t.service.issuePair(t.user)])
    const rotated = await t.service.refresh(devices[1].refresh_token, t.loadUser)
    const stranger = await t.service.issuePair(makeUser({ id: 'user-2' }))
    t.users.set('user-2', makeUser({ id: 'user-2' }))

    await t.service.revokeAllForUser('user-1') // same instant as the issuing: no clock advance needed
    for (const p of [devices[0], rotated]) {
      expect(await codeOf(t.service.verifyAccess(p.access_token))).toBe('TOKEN_INVALID')
      expect(await codeOf(t.service.refresh(p.refresh_token, t.loadUser))).toBe('TOKEN_INVALID')
    }
    await expect(t.service.verifyAccess(stranger.access_token)).resolves.toBeTruthy()
    await expect(t.service.refresh(stranger.refresh_token, t.loadUser)).resolves.toBeTruthy()

    // e.g. a password change revokes everything then logs the current device in again, in the same second.
    const fresh = await t.service.issuePair(t.user, { fresh: true })
    await expect(t.service.verifyAccess(fresh.access_token)).resolves.toBeTruthy()
    await expect(t.service.refresh(fresh.refresh_token, t.loadUser)).resolves.toBeTruthy()

    // The revocation outlives every token issued before it.
    t.clock.advance(29 * 24 * 3600 * 1000)
    expect(await codeOf(t.service.refresh(devices[0].refresh_token, t.loadUser))).toBe('TOKEN_INVALID')
  })

  it('a revocation store that cannot answer fails closed (STORE_UNAVAILABLE), with revocation check on', async () => {
    const t = setup()
    const pair = await t.service.issuePair(t.user)
    t.kv.down = true
    expect(await codeOf(t.service.verifyAccess(pair.access_token))).toBe('STORE_UNAVAILABLE')
    expect(await codeOf(t.service.refresh(pair.refresh_token, t.loadUser))).toBe('STORE_UNAVAILABLE')
    expect(await codeOf(t.service.issuePair(t.user))).toBe('STORE_UNAVAILABLE')
    // Without the check, verification is offline and needs no store.
    await expect(t.service.verifyAccess(pair.access_token, { checkRevocation: false })).resolves.toBeTruthy()
    t.kv.down = false
    await expect(t.service.verifyAccess(pair.access_token)).resolves.toBeTruthy()
  })

  it('a signing-key store that is down at first use is STORE_UNAVAILABLE, not a crash', async () => {
    const t = setup()
    const broken = createTokenService({
      kv: t.kv,
      signingKeys: {
        ...t.stores.signingKeys,
        listSigningKeys: () => Promise.reject(new Error('down')),
      } as SigningKeyStore,
      clock: t.clock,
      secret: SECRET,
      issuer: ISS,
      audience: AUD,
    })
    expect(await codeOf(broken.issuePair(t.user))).toBe('STORE_UNAVAILABLE')
  })
})
