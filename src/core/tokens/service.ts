import type { JWK } from 'jose'
import type { KeyValueStore, SigningKeyStore, User } from '../../stores/contracts.ts'
import { type Clock, systemClock } from '../clock.ts'
import { createSecretBox } from '../crypto/secretbox.ts'
import { AuthError } from '../errors.ts'
import { type AccessClaims, type AdditionalClaims, issueAccessToken, verifyAccessJwt } from './access.ts'
import { SIGNING_ALGS, type SigningAlg } from './jws.ts'
import { createKeyRing } from './keys.ts'
import {
  addToken,
  type Family,
  familyAlive,
  familyOf,
  finishRotation,
  type RefreshContext,
  recordLatest,
  redeem,
  revokeFamily,
  startFamily,
} from './refresh.ts'
import {
  bumpGeneration,
  generationMatches,
  isAccessRevoked,
  readGeneration,
  revokeTokenId,
} from './revocation.ts'
import { guardStore } from './store-guard.ts'

export interface TokenServiceOptions {
  kv: KeyValueStore
  signingKeys: SigningKeyStore
  /** Server secret (≥ 32 bytes): encrypts the private signing keys. */
  secret: string | Uint8Array
  /** `iss` of every token, and the only one accepted. */
  issuer: string
  /** `aud` of every token, and the only one accepted. */
  audience: string
  clock?: Clock
  /** Access-token lifetime, seconds. Default 900 (15 min). */
  accessTtl?: number
  /** Absolute lifetime of a refresh family, seconds. Default 2,592,000 (30 days). */
  refreshTtl?: number
  /** Algorithm of new signing keys. Default EdDSA (Ed25519). */
  alg?: SigningAlg
  /** Clock skew tolerated on exp/nbf/iat, seconds (0–300). Default 0. */
  leeway?: number
  /** Extra claims for the access token; may not set a reserved claim. */
  additionalClaims?: AdditionalClaims
  /**
   * Seconds after a refresh during which the spent token returns the same successor
   * pair again — for a client whose response was lost to a network error (0–60). Default
   * 0: any second presentation of a spent token revokes its family. The successor pair is
   * kept sealed (AES-GCM under the server secret) for this window.
   */
  refreshGrace?: number
  /** How long the signing-key list is cached, ms. Default 60,000. */
  keyCacheMs?: number
}

export interface TokenPair {
  access_token: string
  refresh_token: string
  token_type: 'Bearer'
  /** Seconds until the access token expires. */
  expires_in: number
}

export type LoadUser = (userId: string) => Promise<User | null>

export interface TokenService {
  /** A new refresh family and access token, for a login. `fresh` marks an interactive login (default false). */
  issuePair(user: User, options?: { fresh?: boolean }): Promise<TokenPair>
  /** Spends the refresh token and returns its successor pair (access token never fresh). */
  refresh(refreshToken: string, loadUser: LoadUser): Promise<TokenPair>
  /** Strict verification; `checkRevocation` (default true) adds two KV lookups sent together. */
  verifyAccess(token: string, options?: { checkRevocation?: boolean }): Promise<AccessClaims>
  revokeAccess(claims: Pick<AccessClaims, 'jti' | 'exp'>): Promise<void>
  /** Revokes the family of a live or spent refresh token; false when the token is unknown. */
  revokeFamilyOf(refreshToken: string): Promise<boolean>
  /** Every access token and refresh family of the user, at once. */
  revokeAllForUser(userId: string): Promise<void>
  jwks(): Promise<{ keys: JWK[] }>
  rotateKeys(): Promise<{ kid: string; alg: SigningAlg }>
}

const KNOWN = new Set([
  'kv',
  'signingKeys',
  'secret',
  'issuer',
  'audience',
  'clock',
  'accessTtl',
  'refreshTtl',
  'alg',
  'leeway',
  'additionalClaims',
  'refreshGrace',
  'keyCacheMs',
])

function config(message: string): AuthError {
  return new AuthError('CONFIG_INVALID', { message })
}

function wholeSeconds(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw config(`tokens.${name}: an integer from ${min} to ${max}`)
  return value
}

export function createTokenService(options: TokenServiceOptions): TokenService {
  for (const name of Object.keys(options))
    if (!KNOWN.has(name)) throw config(`tokens.${name}: unknown option`)
  if (typeof options.issuer !== 'string' || !options.issuer) throw config('tokens.issuer: required')
  if (typeof options.audience !== 'string' || !options.audience) throw config('tokens.audience: required')
  const alg = options.alg ?? 'EdDSA'
  if (!SIGNING_ALGS.includes(alg)) throw config(`tokens.alg: one of ${SIGNING_ALGS.join(', ')}`)
  const accessTtl = wholeSeconds('accessTtl', options.accessTtl ?? 900, 10, 86_400)
  const refreshTtl = wholeSeconds('refreshTtl', options.refreshTtl ?? 2_592_000, 60, 31_536_000)
  const leeway = wholeSeconds('leeway', options.leeway ?? 0, 0, 300)
  const grace = wholeSeconds('refreshGrace', options.refreshGrace ?? 0, 0, 60)
  const clock = options.clock ?? systemClock
  const { issuer, audience, additionalClaims } = options
  const kv = guardStore(options.kv)

  const keys = createKeyRing({
    store: guardStore(options.signingKeys),
    secret: options.secret,
    clock,
    alg,
    maxTokenLifetime: accessTtl + leeway,
    cacheMs: options.keyCacheMs,
  })
  const ctx: RefreshContext = {
    kv,
    clock,
    ttl: refreshTtl,
    grace,
    leeway,
    box: createSecretBox(options.secret, 'refresh-grace'),
  }

  async function mint(
    user: User,
    family: Family,
    fresh: boolean,
    generation: string | null,
  ): Promise<TokenPair> {
    const refresh = await addToken(ctx, family)
    const access = await issueAccessToken({
      key: await keys.signingKey(),
      issuer,
      audience,
      ttl: accessTtl,
      now: clock(),
      user,
      fresh,
      generation,
      additionalClaims,
    })
    await recordLatest(ctx, family, { hash: refresh.hash, jti: access.claims.jti, exp: access.claims.exp })
    return {
      access_token: access.token,
      refresh_token: refresh.token,
      token_type: 'Bearer',
      expires_in: accessTtl,
    }
  }

  return {
    async issuePair(user, { fresh = false } = {}) {
      if (!user.active) throw new AuthError('ACCOUNT_DISABLED')
      const generation = await readGeneration(kv, user.id)
      const family = await startFamily(ctx, user.id, generation)
      return mint(user, family, fresh, generation)
    },

    async refresh(refreshToken, loadUser) {
      const redemption = await redeem(ctx, refreshToken)
      if (redemption.kind === 'replay') return JSON.parse(ctx.box.open(redemption.sealedPair)) as TokenPair

      const { family } = redemption
      const generation = await readGeneration(kv, family.userId)
      const user = generationMatches(generation, family.generation) ? await loadUser(family.userId) : null
      if (!user?.active) {
        // Logged out everywhere, deleted or deactivated: the family ends here.
        await revokeFamily(ctx, family.id)
        throw new AuthError('TOKEN_INVALID')
      }
      const pair = await mint(user, family, false, generation)
      await finishRotation(ctx, redemption, grace > 0 ? ctx.box.seal(JSON.stringify(pair)) : null)
      if (!(await familyAlive(ctx, family.id))) {
        // Revoked while we rotated (reuse detected elsewhere): the pair we just made dies too.
        await revokeFamily(ctx, family.id)
        throw new AuthError('TOKEN_INVALID')
      }
      return pair
    },

    async verifyAccess(token, { checkRevocation = true } = {}) {
      const claims = await verifyAccessJwt(token, (h) => keys.verificationKey(h.kid!), {
        issuer,
        audience,
        now: clock(),
        leeway,
      })
      if (checkRevocation && (await isAccessRevoked(kv, claims))) throw new AuthError('TOKEN_INVALID')
      return claims
    },

    async revokeAccess(claims) {
      await revokeTokenId(kv, claims.jti, claims.exp - clock() / 1000 + leeway)
    },

    async revokeFamilyOf(refreshToken) {
      const familyId = await familyOf(ctx, refreshToken)
      if (familyId === null) return false
      await revokeFamily(ctx, familyId)
      return true
    },

    async revokeAllForUser(userId) {
      // Outlives every token and family issued before it (see revocation.ts).
      await bumpGeneration(kv, userId, refreshTtl + accessTtl + leeway + 60)
    },

    jwks: () => keys.jwks(),
    rotateKeys: () => keys.rotate(),
  }
}
