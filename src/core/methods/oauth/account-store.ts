/** One provider account linked to a user: identity = (provider, issuer, subject). */
export interface LinkedAccount {
  userId: string
  provider: string
  issuer: string
  subject: string
  email: string | null
  groups: string[]
  /** The roles this account's groups granted at its last sign-in (to take back when a group goes). */
  grantedRoles: string[]
  linkedAt: number
  /** Sealed (secretbox) provider tokens, or null. */
  accessToken: string | null
  refreshToken: string | null
  tokenExpiresAt: number | null
  /** Bumped by every token write: writes compare-and-set on it. */
  tokenVersion: number
}

export interface StoredTokens {
  accessToken: string | null
  refreshToken: string | null
  tokenExpiresAt: number | null
}

/** The module's storage contract: memory (memory-accounts.ts) and SQL (sql-accounts.ts). */
export interface OAuthAccountStore {
  find(provider: string, issuer: string, subject: string): Promise<LinkedAccount | null>
  get(userId: string, provider: string): Promise<LinkedAccount | null>
  listForUser(userId: string): Promise<LinkedAccount[]>
  /** False when the identity, or an account of this provider for this user, exists already. */
  insert(account: LinkedAccount): Promise<boolean>
  updateProfile(
    userId: string,
    provider: string,
    patch: Pick<LinkedAccount, 'email' | 'groups' | 'grantedRoles'>,
  ): Promise<void>
  /** Writes the tokens only if the version is still `expectedVersion`; true when written (version + 1). */
  setTokens(userId: string, provider: string, expectedVersion: number, tokens: StoredTokens): Promise<boolean>
  delete(userId: string, provider: string): Promise<boolean>
}
