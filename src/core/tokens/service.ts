import type { JWK } from 'jose'
import type { User } from '../../stores/contracts.ts'
import { deriveKey } from '../crypto/kdf.ts'
import { createSecretBox } from '../crypto/secretbox.ts'
import { AuthError } from '../errors.ts'
import { guardStore } from '../store-guard.ts'
import { type AccessClaims, issueAccessToken, verifyAccessJwt } from './access.ts'
import { checkRegisteredClaims } from './claims.ts'
import { invalid, type SigningAlg } from './jws.ts'
import { createKeyRing } from './keys.ts'
import { resolveTokenOptions, type TokenServiceOptions } from './options.ts'
import {
  type Family,
  issueToken,
  loadFamily,
  parseRefreshToken,
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
import { copyClaims, VerifiedTokenCache } from './verified-cache.ts'

export type { TokenServiceOptions }

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
  /** Revokes the family of a live or spent refresh token; false when it is not one of ours. */
  revokeFamilyOf(refreshToken: string): Promise<boolean>
  /** Every access token and refresh family of the user, at once. */
  revokeAllForUser(userId: string): Promise<void>
  jwks(): Promise<{ keys: JWK[] }>
  rotateKeys(): Promise<{ kid: string; alg: SigningAlg }>
}

export function createTokenService(options: TokenServiceOptions): TokenService {
  const {
    issuer,
    audience,
    clock,
    accessTtl,
    refreshTtl,
    alg,
    leeway,
    clockSkew,
    additionalClaims,
    refreshGrace: grace,
    keyCacheMs,
    verifyCacheSize,
  } = resolveTokenOptions(options)
  const kv = guardStore(options.kv)
  const verified = new VerifiedTokenCache(verifyCacheSize)

  const keys = createKeyRing({
    store: guardStore(options.signingKeys),
    secret: options.secret,
    clock,
    alg,
    maxTokenLifetime: accessTtl + leeway,
    cacheMs: keyCacheMs,
  })
  const ctx: RefreshContext = {
    kv,
    clock,
    ttl: refreshTtl,
    grace,
    leeway,
    macKey: deriveKey(options.secret, 'refresh-token/v1'),
    box: createSecretBox(options.secret, 'refresh-grace'),
  }

  /** Refresh token n of the family plus a new access token, recorded as the family's newest. */
  async function mint(
    user: User,
    family: Family,
    n: number,
    fresh: boolean,
    generation: string | null,
  ): Promise<TokenPair> {
    const refreshToken = await issueToken(ctx, family, n)
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
    const pair: TokenPair = {
      access_token: access.token,
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: accessTtl,
    }
    const sealedPair = grace > 0 ? ctx.box.seal(JSON.stringify(pair)) : undefined
    await recordLatest(ctx, family, { n, jti: access.claims.jti, exp: access.claims.exp, sealedPair })
    return pair
  }

  /** Signature and claims, once per token; a cached token re-checks only what time or key removal can change. */
  async function verifySignedAccess(token: string): Promise<AccessClaims> {
    const now = clock()
    const hit = typeof token === 'string' ? verified.get(token) : undefined
    if (hit) {
      try {
        checkRegisteredClaims(hit.claims, {
          issuer,
          audience,
          now: Math.floor(now / 1000),
          leeway,
          clockSkew,
        })
        if (!(await keys.verificationKey(hit.kid))) throw invalid()
      } catch (error) {
        verified.delete(token)
        throw error
      }
      return copyClaims(hit.claims)
    }
    let kid = ''
    const claims = await verifyAccessJwt(
      token,
      (h) => {
        kid = h.kid!
        return keys.verificationKey(kid)
      },
      { issuer, audience, now, leeway, clockSkew },
    )
    verified.set(token, kid, claims)
    return copyClaims(claims)
  }

  return {
    async issuePair(user, { fresh = false } = {}) {
      if (!user.active) throw new AuthError('ACCOUNT_DISABLED')
      const generation = await readGeneration(kv, user.id)
      const family = await startFamily(ctx, user.id, generation)
      return mint(user, family, 1, fresh, generation)
    },

    async refresh(refreshToken, loadUser) {
      const redemption = await redeem(ctx, refreshToken)
      if (redemption.kind === 'replay') return JSON.parse(ctx.box.open(redemption.sealedPair)) as TokenPair
      if (redemption.kind === 'reused') {
        if (redemption.userId) await options.onReuse?.(redemption.userId)
        throw new AuthError('TOKEN_REUSED')
      }

      const { family } = redemption
      const generation = await readGeneration(kv, family.userId)
      const user = generationMatches(generation, family.generation) ? await loadUser(family.userId) : null
      if (!user?.active) {
        // Logged out everywhere, deleted or deactivated: the family ends here.
        await revokeFamily(ctx, family.id)
        throw new AuthError('TOKEN_INVALID')
      }
      const pair = await mint(user, family, redemption.n + 1, false, generation)
      if (!(await loadFamily(ctx, family.id))) {
        // Revoked while we rotated (reuse detected elsewhere): the pair we just made dies too.
        await revokeFamily(ctx, family.id)
        throw new AuthError('TOKEN_INVALID')
      }
      return pair
    },

    async verifyAccess(token, { checkRevocation = true } = {}) {
      const claims = await verifySignedAccess(token)
      if (checkRevocation && (await isAccessRevoked(kv, claims))) throw new AuthError('TOKEN_INVALID')
      return claims
    },

    async revokeAccess(claims) {
      await revokeTokenId(kv, claims.jti, claims.exp - clock() / 1000 + leeway)
    },

    async revokeFamilyOf(refreshToken) {
      // The tag proves the token is ours, live or spent: its family needs no lookup.
      const parsed = parseRefreshToken(ctx, refreshToken)
      if (!parsed) return false
      await revokeFamily(ctx, parsed.familyId)
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
