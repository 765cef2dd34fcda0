import type { Auth } from '../../auth.ts'
import type { SecretBox } from '../../crypto/secretbox.ts'
import { AuthError } from '../../errors.ts'
import type { LinkedAccount, OAuthAccountStore } from './account-store.ts'
import { isPermanentRefreshFailure, providerError } from './errors.ts'
import type { ProviderFlow } from './flow.ts'
import type { Grant } from './types.ts'

/** A token this close to its expiry is refreshed first. */
export const REFRESH_MARGIN_MS = 60_000
const LOCK_TTL_SECONDS = 30
const WAIT_STEP_MS = 50

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The provider's access and refresh tokens of each linked account, sealed under the server
 * secret. `accessToken` refreshes a token that expires within a minute, once: concurrent
 * callers in this process share one refresh (a promise per user and provider), and other
 * instances wait on a lock in the key-value store, then read what the winner wrote (the
 * write itself is a compare-and-set on the account's token version). A refresh token the
 * provider no longer accepts drops the stored tokens: OAUTH_TOKEN_REVOKED from then on.
 */
export class ProviderTokens {
  readonly #inflight = new Map<string, Promise<string>>()

  constructor(
    private readonly auth: Auth,
    private readonly store: () => OAuthAccountStore,
    private readonly flows: ReadonlyMap<string, ProviderFlow>,
    private readonly box: SecretBox,
    private readonly waitMs: number,
  ) {}

  /** Stores a fresh grant's tokens (after sign-in or link); the old refresh token stays when none came. */
  async save(account: LinkedAccount, grant: Grant): Promise<void> {
    const refresh = grant.refreshToken ? this.box.seal(grant.refreshToken) : account.refreshToken
    await this.store().setTokens(account.userId, account.provider, account.tokenVersion, {
      accessToken: this.box.seal(grant.accessToken),
      refreshToken: refresh,
      tokenExpiresAt: grant.expiresIn === null ? null : this.auth.clock() + grant.expiresIn * 1000,
    })
  }

  async accessToken(userId: string, provider: string): Promise<string> {
    const account = await this.store().get(userId, provider)
    if (!account) throw new AuthError('OAUTH_NOT_LINKED')
    if (this.fresh(account)) return this.box.open(account.accessToken!)
    const key = `${userId}\n${provider}`
    let flight = this.#inflight.get(key)
    if (!flight) {
      flight = this.refresh(userId, provider).finally(() => this.#inflight.delete(key))
      this.#inflight.set(key, flight)
    }
    return flight
  }

  private fresh(a: LinkedAccount): boolean {
    return (
      a.accessToken !== null &&
      (a.tokenExpiresAt === null || a.tokenExpiresAt - this.auth.clock() > REFRESH_MARGIN_MS)
    )
  }

  private async refresh(userId: string, provider: string): Promise<string> {
    const lock = `oauth:lock:${userId}:${provider}`
    const kv = this.auth.stores.kv
    const deadline = Date.now() + this.waitMs
    while (!(await kv.setIfAbsent(lock, '1', LOCK_TTL_SECONDS))) {
      // Another instance is refreshing: use what it writes.
      await sleep(WAIT_STEP_MS)
      const now = await this.store().get(userId, provider)
      if (!now) throw new AuthError('OAUTH_NOT_LINKED')
      if (this.fresh(now)) return this.box.open(now.accessToken!)
      if (Date.now() > deadline) throw new AuthError('OAUTH_PROVIDER_UNAVAILABLE', { retryAfter: 5 })
    }
    try {
      const account = await this.store().get(userId, provider)
      if (!account) throw new AuthError('OAUTH_NOT_LINKED')
      if (this.fresh(account)) return this.box.open(account.accessToken!)
      return await this.grant(account)
    } finally {
      await kv.delete(lock)
    }
  }

  private async grant(account: LinkedAccount): Promise<string> {
    // Dropped before (or never given): nothing to refresh with, nothing new to record.
    if (!account.accessToken && !account.refreshToken) throw new AuthError('OAUTH_TOKEN_REVOKED')
    const flow = this.flows.get(account.provider)
    if (!flow || !account.refreshToken) return this.drop(account, 'no_refresh_token')
    let grant: Grant
    try {
      grant = await flow.refresh(this.box.open(account.refreshToken))
    } catch (error) {
      if (isPermanentRefreshFailure(error)) return this.drop(account, 'invalid_grant')
      const e = providerError(error)
      throw e.code === 'OAUTH_PROVIDER_UNAVAILABLE'
        ? e
        : new AuthError('OAUTH_PROVIDER_UNAVAILABLE', { cause: e })
    }
    await this.save(account, grant)
    return grant.accessToken
  }

  private async drop(account: LinkedAccount, reason: string): Promise<never> {
    await this.store().setTokens(account.userId, account.provider, account.tokenVersion, {
      accessToken: null,
      refreshToken: null,
      tokenExpiresAt: null,
    })
    await this.auth.audit({
      type: 'oauth.refresh_failure',
      userId: account.userId,
      reason,
      data: { provider: account.provider },
    })
    throw new AuthError('OAUTH_TOKEN_REVOKED')
  }
}
