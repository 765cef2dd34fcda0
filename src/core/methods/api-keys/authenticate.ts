import { limitToScopes } from '../../access.ts'
import type { Auth, Authenticated } from '../../auth.ts'
import { verifyApiKey } from './keys.ts'

/** An API key proves its owner, limited to the key's scopes; it never signs in to pages. */
export async function authenticateApiKey(auth: Auth, key: string): Promise<Authenticated> {
  const found = await verifyApiKey(auth.stores.apiKeys, key, auth.clock, {
    prefix: auth.options.tokens.apiKeyPrefix,
  })
  return {
    user: limitToScopes(found.user, found.key.scopes, auth.options.roles),
    session: null,
    via: 'api-key',
    claims: { scopes: found.key.scopes, key_id: found.key.id },
  }
}
