import type { JWK } from 'jose'
import type { KeyValueStore, User } from '../../stores/contracts.ts'
import { deriveKey } from '../crypto/kdf.ts'
import { createSecretBox, secretList } from '../crypto/secretbox.ts'
import { AuthError } from '../errors.ts'
import { guardStore } from '../store-guard.ts'
import { type AccessClaims, issueAccessToken, verifyAccessJwt } from './access.ts'
import { checkRegisteredClaims } from './claims.ts'
import { invalid, type SigningAlg } from './jws.ts'
import { createKeyRing, type KeyRing } from './keys.ts'
import { type ResolvedTokenOptions, resolveTokenOptions, type TokenServiceOptions } from './options.ts'
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
  readGeneration,
  revocationKey,
  revokeTokenId,
} from './revocation.ts'
import { RevocationState } from './revocation-state.ts'
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
  /** Strict verification; `checkRevocation` (default true) checks the revocation state (revocation-state.ts). */
  verifyAccess(token: string, options?: { checkRevocation?: boolean }): Promise<AccessClaims>
  /**
   * verifyAccess() for the hot path: a token verified before, whose key and revocation state
   * are in memory and exact, is answered without a promise (and a failed check throws at once);
   * anything else is verifyAccess().
   */
  verifyAccessNow(
    token: string,
    options?: { checkRevocation?: boolean },
  ): AccessClaims | Promise<AccessClaims>
  revokeAccess(claims: Pick<AccessClaims, 'jti' | 'exp'>): Promise<void>
  /** Revokes the family of a live or spent refresh token; false when it is not one of ours. */
  revokeFamilyOf(refreshToken: string): Promise<boolean>
  /** Every access token and refresh family of the user, at once. */
  revokeAllForUser(userId: string): Promise<void>
  jwks(): Promise<{ keys: JWK[] }>
  rotateKeys(): Promise<{ kid: string; alg: SigningAlg }>
}

export function createTokenService(options: TokenServiceOptions): TokenService {
  return new JwtTokenService(options)
}

/** The token service: each public method one operation; the shared state is built once. */
class JwtTokenService implements TokenService {
  readonly #o: ResolvedTokenOptions
  readonly #onReuse: TokenServiceOptions['onReuse']
  readonly #kv: KeyValueStore
  readonly #verified: VerifiedTokenCache
  readonly #keys: KeyRing
  readonly #ctx: RefreshContext
  readonly #revocation: RevocationState

  constructor(options: TokenServiceOptions) {
    const o = resolveTokenOptions(options)
    this.#o = o
    this.#onReuse = options.onReuse
    this.#kv = guardStore(options.kv)
    this.#verified = new VerifiedTokenCache(o.verifyCacheSize)
    this.#keys = createKeyRing({
      store: guardStore(options.signingKeys),
      secret: options.secret,
      clock: o.clock,
      alg: o.alg,
      maxTokenLifetime: o.accessTtl + o.leeway,
      cacheMs: o.keyCacheMs,
    })
    const [current, ...previous] = secretList(options.secret)
    const bus = options.invalidation ?? null
    this.#revocation = new RevocationState(this.#kv, bus, o.clock)
    bus?.subscribe((event) => {
      if (event.kind === 'signing-keys' || event.kind === 'all') this.#keys.invalidate()
    })
    this.#ctx = {
      kv: this.#kv,
      clock: o.clock,
      ttl: o.refreshTtl,
      grace: o.refreshGrace,
      leeway: o.leeway,
      macKey: deriveKey(current!, 'refresh-token/v1'),
      previousMacKeys: previous.map((s) => deriveKey(s, 'refresh-token/v1')),
      box: createSecretBox(options.secret, 'refresh-grace'),
    }
  }

  /** Refresh token n of the family plus a new access token, recorded as the family's newest. */
  async #mint(
    user: User,
    family: Family,
    n: number,
    fresh: boolean,
    generation: string | null,
  ): Promise<TokenPair> {
    const { issuer, audience, accessTtl, clock, additionalClaims, refreshGrace } = this.#o
    const refreshToken = await issueToken(this.#ctx, family, n)
    const access = await issueAccessToken({
      key: await this.#keys.signingKey(),
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
    const sealedPair = refreshGrace > 0 ? this.#ctx.box.seal(JSON.stringify(pair)) : undefined
    await recordLatest(this.#ctx, family, { n, jti: access.claims.jti, exp: access.claims.exp, sealedPair })
    return pair
  }

  /** What time can change in the claims of a token verified before (expiry, not-before). */
  #recheck(claims: AccessClaims): void {
    const { issuer, audience, leeway, clockSkew, clock } = this.#o
    checkRegisteredClaims(claims, { issuer, audience, now: Math.floor(clock() / 1000), leeway, clockSkew })
  }

  /** Signature and claims, once per token; a cached token re-checks only what time or key removal can change. */
  async #verifySignedAccess(token: string): Promise<AccessClaims> {
    const { issuer, audience, leeway, clockSkew, clock } = this.#o
    const now = clock()
    const hit = typeof token === 'string' ? this.#verified.get(token) : undefined
    if (hit) {
      try {
        this.#recheck(hit.claims)
        if (!(await this.#keys.verificationKey(hit.kid))) throw invalid()
      } catch (error) {
        this.#verified.delete(token)
        throw error
      }
      return copyClaims(hit.claims)
    }
    let kid = ''
    const claims = await verifyAccessJwt(
      token,
      (h) => {
        kid = h.kid!
        return this.#keys.verificationKey(kid)
      },
      { issuer, audience, now, leeway, clockSkew },
    )
    this.#verified.set(token, kid, claims)
    return copyClaims(claims)
  }

  async issuePair(user: User, { fresh = false }: { fresh?: boolean } = {}): Promise<TokenPair> {
    if (!user.active) throw new AuthError('ACCOUNT_DISABLED')
    const generation = await readGeneration(this.#kv, user.id)
    const family = await startFamily(this.#ctx, user.id, generation)
    return this.#mint(user, family, 1, fresh, generation)
  }

  async refresh(refreshToken: string, loadUser: LoadUser): Promise<TokenPair> {
    const ctx = this.#ctx
    const redemption = await redeem(ctx, refreshToken)
    if (redemption.kind === 'replay') return JSON.parse(ctx.box.open(redemption.sealedPair)) as TokenPair
    if (redemption.kind === 'reused') {
      if (redemption.userId) await this.#onReuse?.(redemption.userId)
      throw new AuthError('TOKEN_REUSED')
    }
    const { family } = redemption
    const generation = await readGeneration(this.#kv, family.userId)
    const user = generationMatches(generation, family.generation) ? await loadUser(family.userId) : null
    if (!user?.active) {
      // Logged out everywhere, deleted or deactivated: the family ends here.
      await revokeFamily(ctx, family.id)
      throw new AuthError('TOKEN_INVALID')
    }
    const pair = await this.#mint(user, family, redemption.n + 1, false, generation)
    if (!(await loadFamily(ctx, family.id))) {
      // Revoked while we rotated (reuse detected elsewhere): the pair we just made dies too.
      await revokeFamily(ctx, family.id)
      throw new AuthError('TOKEN_INVALID')
    }
    return pair
  }

  async verifyAccess(
    token: string,
    { checkRevocation = true }: { checkRevocation?: boolean } = {},
  ): Promise<AccessClaims> {
    const claims = await this.#verifySignedAccess(token)
    if (checkRevocation && (await this.#revocation.isRevoked(claims))) throw new AuthError('TOKEN_INVALID')
    return claims
  }

  verifyAccessNow(
    token: string,
    options: { checkRevocation?: boolean } = {},
  ): AccessClaims | Promise<AccessClaims> {
    const hit = typeof token === 'string' ? this.#verified.get(token) : undefined
    if (!hit || this.#keys.verificationKeyNow(hit.kid) === undefined) return this.verifyAccess(token, options)
    try {
      this.#recheck(hit.claims)
    } catch (error) {
      this.#verified.delete(token)
      throw error
    }
    if (options.checkRevocation !== false) {
      const revoked = this.#revocation.isRevokedNow(hit.claims)
      if (revoked === undefined) return this.verifyAccess(token, options)
      if (revoked) throw new AuthError('TOKEN_INVALID')
    }
    return copyClaims(hit.claims)
  }

  async revokeAccess(claims: Pick<AccessClaims, 'jti' | 'exp'>): Promise<void> {
    await revokeTokenId(this.#kv, claims.jti, claims.exp - this.#o.clock() / 1000 + this.#o.leeway)
    this.#revocation.forget(revocationKey.jti(claims.jti))
  }

  async revokeFamilyOf(refreshToken: string): Promise<boolean> {
    // The tag proves the token is ours, live or spent: its family needs no lookup.
    const parsed = parseRefreshToken(this.#ctx, refreshToken)
    if (!parsed) return false
    await revokeFamily(this.#ctx, parsed.familyId)
    return true
  }

  async revokeAllForUser(userId: string): Promise<void> {
    // Outlives every token and family issued before it (see revocation.ts).
    const { refreshTtl, accessTtl, leeway } = this.#o
    await bumpGeneration(this.#kv, userId, refreshTtl + accessTtl + leeway + 60)
    this.#revocation.forget(revocationKey.generation(userId))
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    // A rotation another instance announced just before this request is applied first.
    const settling = this.#revocation.settled()
    if (settling) await settling
    return this.#keys.jwks()
  }

  rotateKeys(): Promise<{ kid: string; alg: SigningAlg }> {
    return this.#keys.rotate()
  }
}
