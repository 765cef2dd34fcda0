import type { ProviderSpec } from '../types.ts'
import { oidcProvider } from './oidc.ts'

/** Google: OpenID Connect by discovery; profile from the ID token and /oauth2/v3/userinfo. */
export function googleProvider(s: { clientId: string; clientSecret: string; issuer?: string }): ProviderSpec {
  return oidcProvider({
    id: 'google',
    name: 'Google',
    mark: 'google',
    issuer: s.issuer ?? 'https://accounts.google.com',
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    // Google only issues a refresh token for offline access.
    authParams: { access_type: 'offline' },
  })
}
