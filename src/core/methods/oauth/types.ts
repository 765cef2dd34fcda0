import type * as oidc from 'openid-client'

/** Who the provider says signed in, after every check passed. */
export interface Profile {
  /** The provider's stable id of the user (`sub`; GitHub's numeric id). */
  subject: string
  /** Whose subject it is: the ID token's `iss`, or the OAuth 2 provider's base URL. */
  issuer: string
  email: string | null
  /** The provider asserts that it verified `email`. */
  emailVerified: boolean
  name: string | null
  /** A login name hint for a new account (`preferred_username`, GitHub `login`). */
  username: string | null
  groups: string[]
}

/** The token endpoint's answer, as the profile functions see it. */
export interface Grant {
  accessToken: string
  refreshToken: string | null
  /** Seconds, as the provider said. */
  expiresIn: number | null
  /** The validated ID token's claims (OIDC), else null. */
  claims: Record<string, unknown> | null
}

export interface ProfileInput {
  config: oidc.Configuration
  grant: Grant
  /** GET a JSON resource with the access token (timeouts and errors mapped). */
  getJson(url: string): Promise<unknown>
}

/**
 * One sign-in provider: where its metadata comes from (discovery or hand-made), the
 * client, what to ask for, and how its answer becomes a Profile. Made by the factories in
 * providers/ from the settings; the protocol itself is openid-client's (flow.ts).
 */
export interface ProviderSpec {
  id: string
  /** Shown on the button: "Continue with <name>". */
  name: string
  /** The monochrome mark's key (pages): github, google, azure, auth0, or generic. */
  mark: 'github' | 'google' | 'azure' | 'auth0' | 'generic'
  clientId: string
  clientSecret: string
  /** OIDC providers: the issuer to discover. */
  issuer?: string
  /** OAuth 2 providers without discovery: their metadata. */
  metadata?: oidc.ServerMetadata
  scope: string
  /** An ID token is expected and validated (OIDC). */
  oidc: boolean
  /** Extra authorization request parameters (Auth0 `audience`). */
  authParams?: Record<string, string>
  profile(input: ProfileInput): Promise<Profile>
}

/** `provider:group` → role, from GATEHOUSE_OAUTH_GROUP_ROLES. */
export type GroupRoles = readonly { provider: string; group: string; role: string }[]
