/**
 * Other services verifying Gatehouse access tokens offline: the served JWKS over real HTTP
 * (node:http on 127.0.0.1), Gatehouse's own `verifyAccessToken`, and — as an independent
 * second verifier — jose's createRemoteJWKSet + jwtVerify in a separate Node process.
 */
import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fakeClock } from '../src/core/clock.ts'
import { AuthError, type ErrorCode } from '../src/core/errors.ts'
import { createAccessTokenVerifier, verifyAccessToken } from '../src/core/tokens/remote.ts'
import { createTokenService, type TokenService } from '../src/core/tokens/service.ts'
import type { User } from '../src/stores/contracts.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'

const SECRET = 'a-test-server-secret-of-at-least-32-bytes'
const ISS = 'https://auth.example.test'
const AUD = 'https://api.example.test'
const ROOT = fileURLToPath(new URL('..', import.meta.url))

const user: User = {
  id: 'user-42',
  email: 'grace@example.test',
  username: 'grace',
  usernameNormalized: 'grace',
  name: 'Grace',
  passwordHash: null,
  active: true,
  emailVerified: true,
  createdAt: 0,
  lastLoginAt: null,
  roles: ['admin', 'user'],
  permissions: ['*'],
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

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

/** Serves a service's JWKS like `/.well-known/jwks.json` does, counting requests. */
async function jwksServer(
  getJwks: () => Promise<unknown>,
): Promise<{ url: string; hits: () => number; close: () => Promise<void>; server: Server }> {
  let hits = 0
  const server = createServer((req, res) => {
    hits++
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/.well-known/jwks.json' })
      res.end()
      return
    }
    getJwks().then((jwks) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' })
      res.end(JSON.stringify(jwks))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
  return {
    url,
    hits: () => hits,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** jose's remote JWKS verifier in its own process: an independent implementation over real HTTP. */
const JOSE_VERIFIER = `
import { createRemoteJWKSet, jwtVerify } from 'jose'
const [url, iss, aud, ...tokens] = process.argv.slice(1)
const jwks = createRemoteJWKSet(new URL(url))
const out = []
for (const token of tokens) {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: iss, audience: aud, typ: 'at+jwt', algorithms: ['EdDSA', 'RS256', 'ES256'] })
    out.push({ ok: true, sub: payload.sub, kid: protectedHeader.kid })
  } catch (e) {
    out.push({ ok: false, code: e.code })
  }
}
console.log(JSON.stringify(out))
`

async function joseInChildProcess(
  url: string,
  tokens: string[],
): Promise<{ ok: boolean; sub?: string; kid?: string; code?: string }[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', JOSE_VERIFIER, url, ISS, AUD, ...tokens],
    { cwd: ROOT, timeout: 20_000 },
  )
  return JSON.parse(stdout)
}

describe.each(['EdDSA', 'RS256', 'ES256'] as const)(
  'remote verification against the served JWKS (%s)',
  (alg) => {
    const clock = fakeClock(Date.now())
    const stores = createMemoryStores({ clock })
    const service: TokenService = createTokenService({
      kv: stores.kv,
      signingKeys: stores.signingKeys,
      clock,
      secret: SECRET,
      issuer: ISS,
      audience: AUD,
      alg,
    })
    let jwks: Awaited<ReturnType<typeof jwksServer>>

    beforeAll(async () => {
      jwks = await jwksServer(() => service.jwks())
    })
    afterAll(() => jwks.close())

    it('verifyAccessToken (Gatehouse) and jose in a separate process both accept issued tokens, before and after rotation', async () => {
      const before = (await service.issuePair(user)).access_token
      const mine = await verifyAccessToken(before, { jwksUrl: jwks.url, issuer: ISS, audience: AUD })
      expect(mine).toEqual(await service.verifyAccess(before))
      expect(mine).toMatchObject({ sub: 'user-42', roles: ['admin', 'user'], typ: 'access' })

      await service.rotateKeys()
      const after = (await service.issuePair(user)).access_token
      // One signature character changed (never a no-op: the replacement always differs).
      const sigAt = after.lastIndexOf('.') + 5
      const tampered = `${after.slice(0, sigAt)}${after[sigAt] === 'A' ? 'B' : 'A'}${after.slice(sigAt + 1)}`
      const results = await joseInChildProcess(jwks.url, [before, after, tampered])
      expect(results[0]).toMatchObject({ ok: true, sub: 'user-42' })
      expect(results[1]).toMatchObject({ ok: true, sub: 'user-42' })
      expect(results[1]!.kid).not.toBe(results[0]!.kid)
      expect(results[2]).toMatchObject({ ok: false })

      // Gatehouse's verifier with a fresh cache sees both keys too.
      const verify = createAccessTokenVerifier({ jwksUrl: jwks.url, issuer: ISS, audience: AUD, clock })
      await expect(verify(before)).resolves.toMatchObject({ sub: 'user-42' })
      await expect(verify(after)).resolves.toMatchObject({ sub: 'user-42' })
    })

    it('the same strict checks as the issuer: wrong audience/issuer, expiry, typ, jku never followed', async () => {
      const token = (await service.issuePair(user)).access_token
      const other = createAccessTokenVerifier({
        jwksUrl: jwks.url,
        issuer: ISS,
        audience: 'https://other.test',
        clock,
      })
      expect(await codeOf(other(token))).toBe('TOKEN_INVALID')
      const otherIss = createAccessTokenVerifier({
        jwksUrl: jwks.url,
        issuer: 'https://evil.test',
        audience: AUD,
        clock,
      })
      expect(await codeOf(otherIss(token))).toBe('TOKEN_INVALID')

      const verify = createAccessTokenVerifier({ jwksUrl: jwks.url, issuer: ISS, audience: AUD, clock })
      await expect(verify(token)).resolves.toBeTruthy()
      const hits = jwks.hits()
      const [h, p, s] = token.split('.') as [string, string, string]
      const header = JSON.parse(Buffer.from(h, 'base64url').toString())
      for (const extra of [
        { jku: jwks.url },
        { x5u: jwks.url },
        { typ: 'JWT' },
        { kid: 'unknown-kid-unknown-kid' },
      ]) {
        expect(await codeOf(verify(`${b64({ ...header, ...extra })}.${p}.${s}`))).toBe('TOKEN_INVALID')
      }
      // The unknown kid may cause one refetch — but it is within the cooldown of the first fetch, so none.
      expect(jwks.hits()).toBe(hits)

      const exp = JSON.parse(Buffer.from(p, 'base64url').toString()).exp as number
      const later = fakeClock(exp * 1000)
      const atExp = createAccessTokenVerifier({ jwksUrl: jwks.url, issuer: ISS, audience: AUD, clock: later })
      expect(await codeOf(atExp(token))).toBe('TOKEN_INVALID')
      later.set(exp * 1000 - 1000)
      await expect(atExp(token)).resolves.toBeTruthy()
    })
  },
)

describe('remote JWKS cache', () => {
  const clock = fakeClock(Date.now())
  const stores = createMemoryStores({ clock })
  const service = createTokenService({
    kv: stores.kv,
    signingKeys: stores.signingKeys,
    clock,
    secret: SECRET,
    issuer: ISS,
    audience: AUD,
  })
  let jwks: Awaited<ReturnType<typeof jwksServer>>
  beforeAll(async () => {
    jwks = await jwksServer(() => service.jwks())
  })
  afterAll(() => jwks.close())

  it('fetches once, then refetches on an unknown kid at most once per minute', async () => {
    const verify = createAccessTokenVerifier({ jwksUrl: jwks.url, issuer: ISS, audience: AUD, clock })
    const first = (await service.issuePair(user)).access_token
    const start = jwks.hits()
    await verify(first)
    await verify(first)
    expect(jwks.hits() - start).toBe(1)

    // A rotation elsewhere: the new kid is unknown to the cache.
    await service.rotateKeys()
    const second = (await service.issuePair(user)).access_token
    // Within a minute of the last fetch: no refetch, so the new kid is not known yet.
    clock.advance(30_000)
    expect(await codeOf(verify(second))).toBe('TOKEN_INVALID')
    expect(jwks.hits() - start).toBe(1)
    // After the cooldown: exactly one refetch, and the new key is known.
    clock.advance(30_000)
    await expect(verify(second)).resolves.toBeTruthy()
    expect(jwks.hits() - start).toBe(2)

    // A flood of unknown kids costs at most one fetch a minute.
    const [h, p, s] = second.split('.') as [string, string, string]
    const header = JSON.parse(Buffer.from(h, 'base64url').toString())
    clock.advance(60_000)
    for (let i = 0; i < 20; i++) {
      const forged = `${b64({ ...header, kid: `unknown-kid-${String(i).padStart(10, '0')}` })}.${p}.${s}`
      expect(await codeOf(verify(forged))).toBe('TOKEN_INVALID')
    }
    expect(jwks.hits() - start).toBe(3)
    await expect(verify(first)).resolves.toBeTruthy()
    expect(jwks.hits() - start).toBe(3)
  })

  it('concurrent verifications with a cold cache share one fetch', async () => {
    const verify = createAccessTokenVerifier({ jwksUrl: jwks.url, issuer: ISS, audience: AUD, clock })
    const token = (await service.issuePair(user)).access_token
    const start = jwks.hits()
    await Promise.all(Array.from({ length: 20 }, () => verify(token)))
    expect(jwks.hits() - start).toBe(1)
  })

  it('inline keys need no fetch; encryption keys and keys without alg in a JWKS are never used', async () => {
    const token = (await service.issuePair(user)).access_token
    const { keys } = await service.jwks()
    const verify = createAccessTokenVerifier({ keys: { keys }, issuer: ISS, audience: AUD, clock })
    await expect(verify(token)).resolves.toMatchObject({ sub: 'user-42' })
    await expect(verifyAccessToken(token, { keys, issuer: ISS, audience: AUD, clock })).resolves.toBeTruthy()

    for (const spoil of [
      { use: 'enc' },
      { key_ops: ['encrypt'] },
      { alg: undefined },
      { alg: 'HS256' },
      { alg: 'RS256' },
    ]) {
      const marked = keys.map((k) => ({ ...k, ...spoil }))
      const v = createAccessTokenVerifier({ keys: marked, issuer: ISS, audience: AUD, clock })
      expect(await codeOf(v(token))).toBe('TOKEN_INVALID')
    }
  })

  it('an unreachable or redirecting JWKS endpoint rejects tokens, without crashing', async () => {
    const token = (await service.issuePair(user)).access_token
    const down = createAccessTokenVerifier({
      jwksUrl: 'http://127.0.0.1:1/jwks.json',
      issuer: ISS,
      audience: AUD,
      clock,
    })
    expect(await codeOf(down(token))).toBe('TOKEN_INVALID')
    const redirect = createAccessTokenVerifier({
      jwksUrl: jwks.url.replace('/.well-known/jwks.json', '/redirect'),
      issuer: ISS,
      audience: AUD,
      clock,
    })
    expect(await codeOf(redirect(token))).toBe('TOKEN_INVALID')
  })

  it('needs exactly one of jwksUrl or keys', () => {
    expect(() => createAccessTokenVerifier({ issuer: ISS, audience: AUD })).toThrow(AuthError)
    expect(() =>
      createAccessTokenVerifier({ issuer: ISS, audience: AUD, jwksUrl: 'http://x', keys: [] }),
    ).toThrow(AuthError)
  })
})
