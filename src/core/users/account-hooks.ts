import type { Auth } from '../auth.ts'

/**
 * What a module (OAuth's linked providers, a second factor…) keeps about a user, for the
 * self-service account: shown and exported with the profile, removed with the account.
 * A module sets `account` on its AuthModule; code outside modules calls
 * `auth.selfService.addHooks()`. The core calls no module's code by name.
 */
export interface AccountHooks {
  /** The sign-in providers linked to the user (profile page, export, admin). */
  linkedProviders?(userId: string, auth: Auth): Promise<LinkedProvider[]>
  /** More data about the user for the export, under the module's name. */
  exportData?(userId: string, auth: Auth): Promise<Record<string, unknown>>
  /** Removes what the module keeps about the user; runs once the user row is deleted (idempotent). */
  deleteAccount?(userId: string, auth: Auth): Promise<void>
}

export interface LinkedProvider {
  provider: string
  email: string | null
  /** ISO 8601. */
  linked_at: string
}
