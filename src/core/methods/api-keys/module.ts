import type { AuthModule } from '../../module.ts'

/** What the API-key method records in the audit log. */
export const API_KEY_AUDIT_TYPES = ['apikey.create', 'apikey.revoke'] as const

/** API keys on the module contract (their logic: ApiKeys, auth.apiKeys; their routes: /api/keys). */
export const apiKeysModule: AuthModule = {
  id: 'api-keys',
  auditTypes: API_KEY_AUDIT_TYPES,
}
