import type { LinkedAccount, OAuthAccountStore, StoredTokens } from './account-store.ts'

const clone = (a: LinkedAccount): LinkedAccount => ({
  ...a,
  groups: [...a.groups],
  grantedRoles: [...a.grantedRoles],
})

/** Linked accounts in this process (memory stores). */
export class MemoryOAuthAccounts implements OAuthAccountStore {
  readonly #rows: LinkedAccount[] = []

  #row(userId: string, provider: string) {
    return this.#rows.find((r) => r.userId === userId && r.provider === provider)
  }

  async find(provider: string, issuer: string, subject: string) {
    const row = this.#rows.find(
      (r) => r.provider === provider && r.issuer === issuer && r.subject === subject,
    )
    return row ? clone(row) : null
  }

  async get(userId: string, provider: string) {
    const row = this.#row(userId, provider)
    return row ? clone(row) : null
  }

  async listForUser(userId: string) {
    return this.#rows.filter((r) => r.userId === userId).map(clone)
  }

  async insert(account: LinkedAccount) {
    if (this.#row(account.userId, account.provider)) return false
    if (await this.find(account.provider, account.issuer, account.subject)) return false
    this.#rows.push(clone(account))
    return true
  }

  async updateProfile(
    userId: string,
    provider: string,
    patch: Pick<LinkedAccount, 'email' | 'groups' | 'grantedRoles'>,
  ) {
    const row = this.#row(userId, provider)
    if (row)
      Object.assign(row, {
        email: patch.email,
        groups: [...patch.groups],
        grantedRoles: [...patch.grantedRoles],
      })
  }

  async setTokens(userId: string, provider: string, expectedVersion: number, tokens: StoredTokens) {
    const row = this.#row(userId, provider)
    if (!row || row.tokenVersion !== expectedVersion) return false
    Object.assign(row, tokens, { tokenVersion: expectedVersion + 1 })
    return true
  }

  async delete(userId: string, provider: string) {
    const i = this.#rows.findIndex((r) => r.userId === userId && r.provider === provider)
    if (i < 0) return false
    this.#rows.splice(i, 1)
    return true
  }
}
