import type { CustomFetch } from 'openid-client'
import type { Auth } from '../../auth.ts'
import { AuthError } from '../../errors.ts'
import type { AuthModule } from '../../module.ts'
import { OAUTH_ERRORS } from './errors.ts'
import { ProviderFlow } from './flow.ts'
import { oauthRoutes } from './routes.ts'
import { OAuthService } from './service.ts'
import { OAUTH_MIGRATIONS } from './sql-accounts.ts'
import type { GroupRoles, ProviderSpec } from './types.ts'

export { auth0Provider } from './providers/auth0.ts'
export { azureProvider } from './providers/azure.ts'
export { customProvider } from './providers/custom.ts'
export { githubProvider } from './providers/github.ts'
export { googleProvider } from './providers/google.ts'
export { oidcProvider } from './providers/oidc.ts'
export type { GroupRoles, Profile, ProviderSpec } from './types.ts'

/** Audit types of the module (`oauth.login` and `oauth.link` are the core's). */
export const OAUTH_AUDIT_TYPES = [
  'oauth.signup',
  'oauth.unlink',
  'oauth.roles',
  'oauth.refresh_failure',
] as const

declare module '../../audit.ts' {
  interface ModuleAuditTypes {
    'oauth.signup': true
    'oauth.unlink': true
    'oauth.roles': true
    'oauth.refresh_failure': true
  }
}

export interface OAuthOptions {
  providers: ProviderSpec[]
  /** `provider:group` → role, re-applied at each sign-in through that provider. */
  groupRoles?: GroupRoles
  /** Exact redirect URIs of native and single-page apps allowed to use app sign-in. */
  appRedirectUris?: string[]
  /** Each provider request gives up after this long; default 10 000 ms. */
  timeoutMs?: number
  /** Accept http:// providers (loopback, development only). Default false. */
  allowHttp?: boolean
  /** Where a sign-in lands without a `next`; default /dashboard. */
  defaultRedirect?: string
  /** Base of the callback URL; default the auth's publicUrl. */
  publicUrl?: string
  /** A fetch for every provider request (a proxy; tests route hosts to local servers). */
  fetch?: CustomFetch
}

export interface OAuthModule extends AuthModule {
  readonly providers: readonly ProviderSpec[]
  /** The module's work for an Auth built with it. */
  service(auth: Auth): OAuthService
  /** Where the providers' authorization endpoints are (the CSP's form-action: the link forms redirect there). */
  authorizationOrigins(): string[]
  /** The http(s) origins of appRedirectUris: single-page apps that call the token API cross-origin. */
  appOrigins(): string[]
  /** A valid provider access token for the user (refreshed when it expires within 60 s). */
  providerToken(auth: Auth, userId: string, provider: string): Promise<string>
}

/**
 * Sign-in with GitHub, Google, Microsoft Entra, Auth0 and any OpenID provider, as a module:
 * `createAuth({ modules: [oauth({ providers: [githubProvider({...})] })] })`. Its routes
 * mount in the server, or in an app's own Hono or Express app through the adapters.
 */
export function oauth(options: OAuthOptions): OAuthModule {
  const ids = new Set<string>()
  for (const p of options.providers) {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(p.id) || ids.has(p.id))
      throw new AuthError('CONFIG_INVALID', {
        message: `oauth: provider id "${p.id}" is invalid or given twice`,
      })
    ids.add(p.id)
  }
  const timeoutMs = options.timeoutMs ?? 10_000
  const flowOptions = {
    timeoutMs,
    allowHttp: options.allowHttp === true,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  }
  const flows = new Map(options.providers.map((p) => [p.id, new ProviderFlow(p, flowOptions)]))
  const services = new WeakMap<Auth, OAuthService>()
  const service = (auth: Auth) => {
    let s = services.get(auth)
    if (!s) {
      s = new OAuthService(auth, flows, {
        groupRoles: options.groupRoles ?? [],
        appRedirectUris: options.appRedirectUris ?? [],
        defaultRedirect: options.defaultRedirect ?? '/dashboard',
        timeoutMs,
        ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
      })
      services.set(auth, s)
    }
    return s
  }
  return {
    id: 'oauth',
    errors: OAUTH_ERRORS,
    auditTypes: OAUTH_AUDIT_TYPES,
    kvPrefix: 'oauth:',
    migrations: OAUTH_MIGRATIONS,
    routes: oauthRoutes((input) => service(input.auth)),
    providers: options.providers,
    service,
    appOrigins: () => webOrigins(options.appRedirectUris ?? []),
    authorizationOrigins: () => [...new Set([...flows.values()].flatMap((f) => f.authorizationOrigins()))],
    providerToken: (auth, userId, provider) => service(auth).tokens.accessToken(userId, provider),
    // The self-service account (profile, export, deletion) and the admin's user page see linked providers.
    account: {
      linkedProviders: async (userId, auth) =>
        (await service(auth).list(userId)).map(({ provider, email, linked_at }) => ({
          provider,
          email,
          linked_at,
        })),
      // Identities and groups, never the (sealed) provider tokens.
      exportData: async (userId, auth) => ({
        linked_accounts: (await service(auth).accounts.listForUser(userId)).map((a) => ({
          provider: a.provider,
          issuer: a.issuer,
          subject: a.subject,
          email: a.email,
          groups: a.groups,
          linked_at: new Date(a.linkedAt).toISOString(),
        })),
      }),
      deleteAccount: async (userId, auth) => {
        const { accounts } = service(auth)
        for (const a of await accounts.listForUser(userId)) await accounts.delete(userId, a.provider)
      },
    },
  }
}

/** `https://app.example/cb` → `https://app.example`; custom schemes (native apps) have none. */
function webOrigins(uris: readonly string[]): string[] {
  const origins = uris.map((u) => new URL(u)).filter((u) => u.protocol === 'https:' || u.protocol === 'http:')
  return [...new Set(origins.map((u) => u.origin))]
}
