import * as oidc from 'openid-client'
import type { Profile, ProfileInput, ProviderSpec } from '../types.ts'
import { bool, groupsOf, obj, str } from './claims.ts'

export interface OidcSettings {
  id: string
  name: string
  issuer: string
  clientId: string
  clientSecret: string
  scope?: string
  /** A claim (ID token or userinfo) listing the user's groups. */
  groupsClaim?: string
  authParams?: Record<string, string>
  mark?: ProviderSpec['mark']
}

/**
 * The validated ID token's claims, completed by the userinfo endpoint when the provider has
 * one (many put email and groups only there). openid-client checks that userinfo's `sub` is
 * the ID token's.
 */
export async function oidcClaims({ config, grant }: ProfileInput): Promise<Record<string, unknown>> {
  const claims = obj(grant.claims)
  const subject = str(claims.sub)
  if (!subject) throw new Error('ID token without sub')
  if (!config.serverMetadata().userinfo_endpoint) return claims
  const info = await oidc.fetchUserInfo(config, grant.accessToken, subject)
  // The ID token wins for the identity claims; userinfo adds what it lacks.
  return { ...obj(info), ...claims }
}

export function profileFromClaims(claims: Record<string, unknown>, groupsClaim?: string): Profile {
  return {
    subject: str(claims.sub)!,
    issuer: str(claims.iss)!,
    email: str(claims.email),
    emailVerified: bool(claims.email_verified),
    name: str(claims.name),
    username: str(claims.preferred_username) ?? str(claims.nickname),
    groups: groupsClaim ? groupsOf(claims[groupsClaim]) : [],
  }
}

/** Any OpenID provider by discovery (OIDC_<NAME>_*). */
export function oidcProvider(s: OidcSettings): ProviderSpec {
  return {
    id: s.id,
    name: s.name,
    mark: s.mark ?? 'generic',
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    issuer: s.issuer,
    scope: s.scope ?? 'openid email profile',
    oidc: true,
    ...(s.authParams ? { authParams: s.authParams } : {}),
    profile: async (input) => profileFromClaims(await oidcClaims(input), s.groupsClaim),
  }
}
