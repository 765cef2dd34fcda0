import type { ProviderSpec } from '../types.ts'
import { oidcProvider } from './oidc.ts'

/** Auth0: the tenant domain's discovery, `offline_access` for a refresh token, an optional API audience. */
export function auth0Provider(s: {
  domain: string
  clientId: string
  clientSecret: string
  audience?: string
}): ProviderSpec {
  const base = /^https?:\/\//.test(s.domain) ? s.domain : `https://${s.domain}`
  return oidcProvider({
    id: 'auth0',
    name: 'Auth0',
    mark: 'auth0',
    // Auth0's issuer ends with a slash.
    issuer: base.endsWith('/') ? base : `${base}/`,
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    scope: 'openid email profile offline_access',
    ...(s.audience ? { authParams: { audience: s.audience } } : {}),
  })
}
