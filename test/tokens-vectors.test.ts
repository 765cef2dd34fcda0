/**
 * Cross-implementation vectors (test/fixtures, see ../shared/vectors/README.md):
 * - pyjwt-tokens.json: every case gives `expect` through Gatehouse's strict JWT core,
 *   verified only with `verify_with.alg` and that key, at `now`, with the given iss/aud.
 * - wycheproof-jws.json: every case of an applicable group gives `result` through the
 *   strict JWS core (signature level: these payloads are not JWT claims).
 */
import { createHmac, createPrivateKey, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { compactVerify, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { AuthError } from '../src/core/errors.ts'
import type { JwsAlg } from '../src/core/tokens/jws.ts'
import { type ExplicitKey, verifyJwsWithKey, verifyJwtWithKey } from '../src/core/tokens/verify.ts'

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'))

async function outcome(promise: Promise<unknown>): Promise<'valid' | 'invalid'> {
  try {
    await promise
    return 'valid'
  } catch (error) {
    // Every rejection is the one stable code, never a crash of another kind.
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).code).toBe('TOKEN_INVALID')
    return 'invalid'
  }
}

// ---------------------------------------------------------------------------------------
// PyJWT
// ---------------------------------------------------------------------------------------

interface PyJwtKey {
  alg: string
  secret_hex?: string
  public_jwk?: JWK
  private_jwk?: JWK
}
interface PyJwtCase {
  id: string
  token: string
  verify_with: { alg: JwsAlg; key: string; audience: string; issuer: string; leeway: number }
  now: number
  expect: 'valid' | 'invalid'
  reason: string
  pyjwt_accepts?: boolean
  deterministic_signature?: boolean
  header?: Record<string, unknown>
  claims?: Record<string, unknown>
}

const pyjwt = fixture('pyjwt-tokens.json') as { keys: Record<string, PyJwtKey>; cases: PyJwtCase[] }

function pyjwtKey(c: PyJwtCase): ExplicitKey {
  const k = pyjwt.keys[c.verify_with.key]!
  if (k.secret_hex) return { key: new Uint8Array(Buffer.from(k.secret_hex, 'hex')), alg: c.verify_with.alg }
  return { key: k.public_jwk!, alg: c.verify_with.alg }
}

describe('pyjwt-tokens.json', () => {
  it('has the documented 56 cases', () => {
    expect(pyjwt.cases).toHaveLength(56)
  })

  it.each(pyjwt.cases.map((c) => [c.id, c.expect, c.reason, c] as const))(
    '%s → %s (%s)',
    async (_id, want, _r, c) => {
      const got = await outcome(
        verifyJwtWithKey(c.token, pyjwtKey(c), {
          issuer: c.verify_with.issuer,
          audience: c.verify_with.audience,
          now: c.now,
          leeway: c.verify_with.leeway,
        }),
      )
      expect(got).toBe(want)
    },
  )

  it('valid cases yield exactly the claims PyJWT encoded', async () => {
    for (const c of pyjwt.cases.filter((x) => x.expect === 'valid')) {
      const { header, claims } = await verifyJwtWithKey(c.token, pyjwtKey(c), {
        issuer: c.verify_with.issuer,
        audience: c.verify_with.audience,
        now: c.now,
      })
      expect(claims).toEqual(c.claims)
      expect(header).toEqual(c.header)
    }
  })

  it('jose alone accepts three of the non-canonical spellings PyJWT accepts; the strict pre-check rejects them', async () => {
    const lenient = pyjwt.cases.filter((c) => c.pyjwt_accepts)
    expect(lenient.map((c) => c.id)).toEqual(['jwt-051', 'jwt-052', 'jwt-053', 'jwt-054'])
    const secret = new Uint8Array(Buffer.from(pyjwt.keys.hs256!.secret_hex!, 'hex'))
    // jose 6 on Node 20 decodes with atob: padding and non-zero trailing bits pass; it refuses '+' and '/' itself.
    const joseAccepts = []
    for (const c of lenient) {
      if (
        await compactVerify(c.token, secret, { algorithms: ['HS256'] }).then(
          () => true,
          () => false,
        )
      )
        joseAccepts.push(c.id)
    }
    expect(joseAccepts).toEqual(['jwt-051', 'jwt-052', 'jwt-053'])
  })

  it('re-signing header.payload with the private key reproduces the deterministic tokens (HS256, RS256, EdDSA)', () => {
    const deterministic = pyjwt.cases.filter((c) => c.expect === 'valid' && c.verify_with.alg !== 'ES256')
    expect(deterministic.length).toBe(7)
    for (const c of deterministic) {
      const [h, p, sig] = c.token.split('.') as [string, string, string]
      const input = Buffer.from(`${h}.${p}`, 'ascii')
      const k = pyjwt.keys[c.verify_with.key]!
      const signature = k.secret_hex
        ? createHmac('sha256', Buffer.from(k.secret_hex, 'hex')).update(input).digest()
        : sign(
            c.verify_with.alg === 'RS256' ? 'sha256' : null,
            input,
            createPrivateKey({ key: k.private_jwk!, format: 'jwk' } as never),
          )
      expect(signature.toString('base64url')).toBe(sig)
    }
  })
})

// ---------------------------------------------------------------------------------------
// Wycheproof
// ---------------------------------------------------------------------------------------

interface WycheTest {
  tcId: number
  comment: string
  jws: string
  result: 'valid' | 'invalid'
  flags: string[]
}
interface WycheGroup {
  comment: string
  private: JWK
  public?: JWK
  tests: WycheTest[]
}

const wycheproof = fixture('wycheproof-jws.json') as { numberOfTests: number; testGroups: WycheGroup[] }

/** Algorithms in scope: what Gatehouse signs with, plus HS256 (the explicit-key verifier accepts shared secrets). */
const APPLICABLE: readonly string[] = ['EdDSA', 'RS256', 'ES256', 'HS256']

/**
 * Cases whose label is a fault of the upstream file, not of a verifier
 * (C2SP/wycheproof#236; Wycheproof's own Java harness skips them too):
 * - 367, 370: byte-identical to tcId 357 (labelled valid) but labelled invalid. A correct
 *   verifier must accept them, exactly like 357.
 * - 372, 373: a '?' inside a segment, labelled valid; the MAC covers the original text, so
 *   only a verifier that silently drops bad characters could accept. Strict base64url
 *   (RFC 7515 §2) rejects them.
 */
const UPSTREAM_DEFECTS: Record<number, 'valid' | 'invalid'> = {
  367: 'valid',
  370: 'valid',
  372: 'invalid',
  373: 'invalid',
}

/** Key for a group: the public JWK, or the private one for oct keys. */
function groupKey(group: WycheGroup): JWK {
  return group.public ?? group.private
}

/** The algorithm the group's key is for; encryption-only keys carry none, so we pick the family's one to prove `use`/`key_ops` alone refuse them. */
function groupAlg(group: WycheGroup): string {
  const key = groupKey(group)
  if (key.alg) return key.alg
  return key.kty === 'RSA' ? 'RS256' : key.kty === 'EC' ? 'ES256' : 'none'
}

const applicable = wycheproof.testGroups.filter((g) => APPLICABLE.includes(groupAlg(g)))
const skipped = wycheproof.testGroups.filter((g) => !APPLICABLE.includes(groupAlg(g)))

describe('wycheproof-jws.json', () => {
  it('scope: which groups apply, which are skipped as not applicable', () => {
    const total = wycheproof.testGroups.reduce((n, g) => n + g.tests.length, 0)
    expect(total).toBe(wycheproof.numberOfTests)
    expect(total).toBe(401)
    const count = (gs: WycheGroup[]) => gs.reduce((n, g) => n + g.tests.length, 0)
    // Skipped: RS384, RS512, PS256/384/512 and ES521 (P-521) — algorithms Gatehouse never
    // signs or accepts; a token in those groups would be rejected by the allow-list anyway.
    expect(skipped.map((g) => `${g.comment}:${groupAlg(g)}`)).toEqual([
      'rs384:RS384',
      'rs512:RS512',
      'ps256:PS256',
      'ps384:PS384',
      'ps512:PS512',
      'rfc7520:PS256',
      'rfc7520:ES521',
      'rfc7520WithKeyOps:PS256',
      'rfc7520WithKeyOps:ES521',
    ])
    expect(skipped).toHaveLength(9)
    expect(count(skipped)).toBe(85)
    expect(applicable).toHaveLength(14)
    expect(count(applicable)).toBe(316)
  })

  for (const group of applicable) {
    const alg = groupAlg(group) as JwsAlg
    describe(`${group.comment} (${alg}${groupKey(group).use ? `, use ${groupKey(group).use}` : ''}${groupKey(group).key_ops ? `, key_ops ${groupKey(group).key_ops}` : ''})`, () => {
      it.each(group.tests.map((t) => [t.tcId, t.comment, t.result, t] as const))(
        'tcId %i %s → %s',
        async (tcId, _comment, result, t) => {
          const want = UPSTREAM_DEFECTS[tcId] ?? result
          expect(await outcome(verifyJwsWithKey(t.jws, { key: groupKey(group), alg }))).toBe(want)
        },
      )
    })
  }

  it('upstream defects are where the issue says: 367 and 370 are byte-identical to 357', () => {
    const all = wycheproof.testGroups.flatMap((g) => g.tests)
    const byId = (id: number) => all.find((t) => t.tcId === id)!
    expect(byId(367).jws).toBe(byId(357).jws)
    expect(byId(370).jws).toBe(byId(357).jws)
    expect(byId(357).result).toBe('valid')
    expect(byId(372).jws).toContain('?')
    expect(byId(373).jws).toContain('?')
  })

  it('encryption keys refuse only because of use/key_ops: the same key marked for signing verifies the token', async () => {
    const encGroups = applicable.filter((g) => !groupKey(g).alg)
    expect(encGroups).toHaveLength(4)
    for (const group of encGroups) {
      const { use: _use, key_ops: _ops, ...plain } = groupKey(group)
      const t = group.tests[0]!
      expect(t.result).toBe('invalid')
      await expect(
        verifyJwsWithKey(t.jws, { key: plain, alg: groupAlg(group) as JwsAlg }),
      ).resolves.toBeTruthy()
      await expect(
        verifyJwsWithKey(t.jws, { key: groupKey(group), alg: groupAlg(group) as JwsAlg }),
      ).rejects.toThrow(AuthError)
    }
  })
})
