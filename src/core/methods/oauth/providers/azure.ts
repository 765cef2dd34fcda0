import { AuthError } from '../../../errors.ts'
import type { ProviderSpec } from '../types.ts'
import { obj, str } from './claims.ts'
import { oidcClaims, profileFromClaims } from './oidc.ts'

export interface AzureSettings {
  clientId: string
  clientSecret: string
  /** A tenant id, or `common` / `organizations` / `consumers` (multi-tenant). Default `common`. */
  tenant?: string
  /** Tenant ids accepted from a multi-tenant authority (the token's `tid`). */
  allowedTenants?: string[]
  /** Groups from Microsoft Graph /me/memberOf. */
  groups?: boolean
  /** Default https://login.microsoftonline.com (sovereign clouds have their own). */
  authority?: string
  graphUrl?: string
}

const MULTI_TENANT = new Set(['common', 'organizations', 'consumers'])

/**
 * Microsoft Entra ID. With a multi-tenant authority the discovered issuer is
 * `https://login.microsoftonline.com/{tenantid}/v2.0`; openid-client validates the ID token
 * against that issuer with the token's own `tid`, and here the `tid` must be an allowed
 * tenant — without that check any Entra tenant in the world could sign in.
 */
export function azureProvider(s: AzureSettings): ProviderSpec {
  const tenant = s.tenant ?? 'common'
  const multi = MULTI_TENANT.has(tenant)
  const allowed = new Set(s.allowedTenants?.length ? s.allowedTenants : multi ? [] : [tenant])
  if (allowed.size === 0)
    throw new AuthError('CONFIG_INVALID', {
      message: `Invalid server setting "AZURE_ALLOWED_TENANTS": required with AZURE_TENANT_ID=${tenant} (a multi-tenant authority), or any Entra tenant could sign in`,
    })
  const authority = (s.authority ?? 'https://login.microsoftonline.com').replace(/\/+$/, '')
  const graph = (s.graphUrl ?? 'https://graph.microsoft.com').replace(/\/+$/, '')
  return {
    id: 'azure',
    name: 'Microsoft',
    mark: 'azure',
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    issuer: `${authority}/${tenant}/v2.0`,
    scope: 'openid email profile offline_access User.Read',
    oidc: true,
    async profile(input) {
      const claims = await oidcClaims(input)
      const tid = str(claims.tid)
      if (!tid || !allowed.has(tid))
        throw new AuthError('OAUTH_INVALID_RESPONSE', {
          message: 'This Microsoft organisation is not allowed to sign in here.',
        })
      const profile = profileFromClaims(claims)
      // Entra's `email` is an unverified, user-editable attribute: never trust it for linking.
      profile.emailVerified = false
      if (s.groups) {
        const page = obj(await input.getJson(`${graph}/v1.0/me/memberOf`))
        profile.groups = Array.isArray(page.value)
          ? page.value.map(obj).flatMap((g) => {
              const name = str(g.displayName) ?? str(g.id)
              return name ? [name] : []
            })
          : []
      }
      return profile
    },
  }
}
