import type { Auth } from '../../auth.ts'
import { field } from '../../body.ts'
import { AuthError } from '../../errors.ts'
import { createApiKey, listApiKeys, type PublicApiKey, revokeApiKey } from './keys.ts'

const DAY_MS = 86_400_000

/**
 * API keys of users: minted (within `tokens.maxApiKeysPerUser`), listed, revoked one by one
 * or all at once (a password change, a deactivation, a replayed refresh token). Minting
 * needs a recent proof of the password (`auth.requireRecentLogin`), checked by the caller.
 */
export class ApiKeys {
  constructor(private readonly auth: Auth) {}

  /** Validates `{name, scopes?, expires_in_days?}` and mints a key; the full key is returned once. */
  create(userId: string, body: Record<string, unknown>) {
    const scopes = body.scopes ?? []
    if (!Array.isArray(scopes) || !scopes.every((x) => typeof x === 'string')) {
      throw new AuthError('VALIDATION_FAILED', { fields: { scopes: 'Must be a list of scope names.' } })
    }
    const days = body.expires_in_days
    if (
      days !== undefined &&
      days !== null &&
      !(Number.isInteger(days) && (days as number) >= 1 && (days as number) <= 3650)
    ) {
      throw new AuthError('VALIDATION_FAILED', {
        fields: { expires_in_days: 'Must be a whole number of days from 1 to 3650.' },
      })
    }
    const { tokens } = this.auth.options
    return createApiKey(this.auth.stores.apiKeys, userId, {
      name: field(body, 'name'),
      scopes: scopes as string[],
      expiresAt: typeof days === 'number' ? this.auth.clock() + days * DAY_MS : null,
      prefix: tokens.apiKeyPrefix,
      clock: this.auth.clock,
      maxPerUser: tokens.maxApiKeysPerUser,
    })
  }

  list(userId: string): Promise<PublicApiKey[]> {
    return listApiKeys(this.auth.stores.apiKeys, userId)
  }

  /** Revokes one of the user's own keys; false when it is not theirs (or gone). */
  revoke(userId: string, id: string): Promise<boolean> {
    return revokeApiKey(this.auth.stores.apiKeys, userId, id)
  }

  /** Deletes every API key of a user. */
  async revokeAll(userId: string): Promise<void> {
    for (const key of await this.auth.stores.apiKeys.listApiKeys(userId))
      await this.auth.stores.apiKeys.deleteApiKey(userId, key.id)
  }
}
