import { z } from 'zod'
import { AuthError } from '../core/errors.ts'
import {
  auth0Provider,
  azureProvider,
  customProvider,
  githubProvider,
  googleProvider,
  type OAuthModule,
  type OAuthOptions,
  oauth,
  oidcProvider,
  type ProviderSpec,
} from '../core/methods/oauth/index.ts'
import type { Logger } from '../core/options.ts'
import { booleanSetting, numberSetting } from './config.ts'

/** The environment variables of API.md "Sign-in with providers" (also the config file's `oauth` keys). */
const NAMES =
  /^(GITHUB_(CLIENT_ID|CLIENT_SECRET|URL|GROUPS)|GOOGLE_(CLIENT_ID|CLIENT_SECRET)|AZURE_(CLIENT_ID|CLIENT_SECRET|TENANT_ID|ALLOWED_TENANTS|GROUPS)|AUTH0_(DOMAIN|CLIENT_ID|CLIENT_SECRET|AUDIENCE)|OIDC_[A-Z0-9]+_(ISSUER|CLIENT_ID|CLIENT_SECRET|LABEL|SCOPE|GROUPS_CLAIM)|GATEHOUSE_OAUTH_(GROUP_ROLES|TIMEOUT_SECONDS)|GATEHOUSE_APP_REDIRECT_URIS)$/

/** The OAuth variables present in the environment (others, like CI's GITHUB_TOKEN, are not ours). */
export function oauthFromEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) if (NAMES.test(name) && value) out[name] = value
  return out
}

const customSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
  name: z.string().min(1).max(60),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  authorizationUrl: z.url(),
  tokenUrl: z.url(),
  userUrl: z.url(),
  scope: z.string().optional(),
  fields: z
    .strictObject({
      id: z.string().optional(),
      email: z.string().optional(),
      name: z.string().optional(),
      emailVerified: z.string().optional(),
      username: z.string().optional(),
    })
    .optional(),
  groupsUrl: z.url().optional(),
})

function fail(name: string, why: string): never {
  throw new AuthError('CONFIG_INVALID', { message: `Invalid server setting "${name}": ${why}` })
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** https everywhere in production; plain http only to this machine in development, with a warning. */
function checkUrl(name: string, url: string, production: boolean, logger: Logger): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    fail(name, 'expected a URL')
  }
  if (parsed.protocol === 'https:') return false
  if (parsed.protocol !== 'http:') fail(name, 'expected https://')
  if (production) fail(name, 'must be https:// in production')
  if (!LOOPBACK.has(parsed.hostname)) fail(name, 'http:// is only accepted for 127.0.0.1, [::1] or localhost')
  logger.warn(`${name} uses http:// (${parsed.host}): development only`)
  return true
}

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
const bool = (name: string, v: string | undefined) => {
  if (v === undefined) return false
  const r = booleanSetting.safeParse(v)
  return r.success ? r.data : fail(name, 'expected true or false')
}

/** GATEHOUSE_OAUTH_GROUP_ROLES: `github:acme/admins=admin,corp:writers=editor`. */
function groupRoles(value: string | undefined) {
  return list(value).map((entry) => {
    const m = /^([a-z][a-z0-9-]*):(.+)=([^=]+)$/.exec(entry)
    if (!m) fail('GATEHOUSE_OAUTH_GROUP_ROLES', `"${entry}" is not <provider>:<group>=<role>`)
    return { provider: m[1]!, group: m[2]!, role: m[3]! }
  })
}

/** A provider and the URL settings it was made from (checked for https). */
type Found = { spec: ProviderSpec; urls: [string, string][] }

/** Providers named by the settings: a provider is on when its client id and secret are set. */
function providersOf(v: Record<string, string>, custom: unknown[]): Found[] {
  return [...builtinProviders(v), ...oidcProviders(v), ...customProviders(custom)]
}

function builtinProviders(v: Record<string, string>): Found[] {
  const out: Found[] = []
  if (v.GITHUB_CLIENT_ID && v.GITHUB_CLIENT_SECRET) {
    const url = v.GITHUB_URL ?? 'https://github.com'
    out.push({
      spec: githubProvider({
        clientId: v.GITHUB_CLIENT_ID,
        clientSecret: v.GITHUB_CLIENT_SECRET,
        url,
        groups: bool('GITHUB_GROUPS', v.GITHUB_GROUPS),
      }),
      urls: [['GITHUB_URL', url]],
    })
  }
  if (v.GOOGLE_CLIENT_ID && v.GOOGLE_CLIENT_SECRET)
    out.push({
      spec: googleProvider({ clientId: v.GOOGLE_CLIENT_ID, clientSecret: v.GOOGLE_CLIENT_SECRET }),
      urls: [],
    })
  if (v.AZURE_CLIENT_ID && v.AZURE_CLIENT_SECRET) {
    const tenant = v.AZURE_TENANT_ID ?? 'common'
    if (!/^[A-Za-z0-9.-]{1,64}$/.test(tenant))
      fail('AZURE_TENANT_ID', 'expected a tenant id or common/organizations/consumers')
    out.push({
      spec: azureProvider({
        clientId: v.AZURE_CLIENT_ID,
        clientSecret: v.AZURE_CLIENT_SECRET,
        tenant,
        allowedTenants: list(v.AZURE_ALLOWED_TENANTS),
        groups: bool('AZURE_GROUPS', v.AZURE_GROUPS),
      }),
      urls: [],
    })
  }
  if (v.AUTH0_CLIENT_ID && v.AUTH0_CLIENT_SECRET) {
    if (!v.AUTH0_DOMAIN) fail('AUTH0_DOMAIN', 'required with AUTH0_CLIENT_ID')
    const spec = auth0Provider({
      domain: v.AUTH0_DOMAIN,
      clientId: v.AUTH0_CLIENT_ID,
      clientSecret: v.AUTH0_CLIENT_SECRET,
      ...(v.AUTH0_AUDIENCE ? { audience: v.AUTH0_AUDIENCE } : {}),
    })
    out.push({ spec, urls: [['AUTH0_DOMAIN', spec.issuer!]] })
  }
  return out
}

function oidcProviders(v: Record<string, string>): Found[] {
  const out: Found[] = []
  const names = new Set(Object.keys(v).flatMap((k) => /^OIDC_([A-Z0-9]+)_ISSUER$/.exec(k)?.[1] ?? []))
  for (const name of names) {
    const p = `OIDC_${name}_`
    if (!v[`${p}CLIENT_ID`] || !v[`${p}CLIENT_SECRET`])
      fail(`${p}CLIENT_ID`, `required with ${p}ISSUER (and ${p}CLIENT_SECRET)`)
    const id = name.toLowerCase()
    out.push({
      spec: oidcProvider({
        id,
        name: v[`${p}LABEL`] ?? name.charAt(0) + name.slice(1).toLowerCase(),
        issuer: v[`${p}ISSUER`]!,
        clientId: v[`${p}CLIENT_ID`]!,
        clientSecret: v[`${p}CLIENT_SECRET`]!,
        ...(v[`${p}SCOPE`] ? { scope: v[`${p}SCOPE`] } : {}),
        ...(v[`${p}GROUPS_CLAIM`] ? { groupsClaim: v[`${p}GROUPS_CLAIM`] } : {}),
      }),
      urls: [[`${p}ISSUER`, v[`${p}ISSUER`]!]],
    })
  }
  return out
}

function customProviders(custom: unknown[]): Found[] {
  return custom.map((entry, i) => {
    const r = customSchema.safeParse(entry)
    if (!r.success) fail(`oauth.custom.${i}.${r.error.issues[0]!.path.join('.')}`, r.error.issues[0]!.message)
    const c = r.data
    return {
      spec: customProvider(c as Parameters<typeof customProvider>[0]),
      urls: [
        [`oauth.custom.${i}.authorizationUrl`, c.authorizationUrl],
        [`oauth.custom.${i}.tokenUrl`, c.tokenUrl],
        [`oauth.custom.${i}.userUrl`, c.userUrl],
      ] as [string, string][],
    }
  })
}

/**
 * The oauth module the settings ask for (with no provider, its routes answer an empty list). Validated
 * here once; production refuses http:// and names the setting.
 */
export function oauthModuleFrom(
  settings: Record<string, unknown>,
  o: { production: boolean; publicUrl: string; logger: Logger; fetch?: OAuthOptions['fetch'] },
): OAuthModule {
  const { custom = [], ...rest } = settings as { custom?: unknown }
  if (!Array.isArray(custom)) fail('oauth.custom', 'expected a list of providers')
  const v: Record<string, string> = {}
  for (const [k, value] of Object.entries(rest)) {
    if (!NAMES.test(k)) fail(`oauth.${k}`, 'unknown setting')
    if (typeof value !== 'string' && typeof value !== 'boolean' && typeof value !== 'number')
      fail(k, 'expected a string')
    v[k] = String(value)
  }
  const found = providersOf(v, custom)
  let allowHttp = false
  for (const { urls } of found)
    for (const [name, url] of urls) allowHttp = checkUrl(name, url, o.production, o.logger) || allowHttp
  const timeout = v.GATEHOUSE_OAUTH_TIMEOUT_SECONDS
  const seconds = timeout === undefined ? 10 : numberSetting(1, 120).safeParse(timeout)
  if (typeof seconds === 'object' && !seconds.success)
    fail('GATEHOUSE_OAUTH_TIMEOUT_SECONDS', 'expected 1 to 120')
  const apps = list(v.GATEHOUSE_APP_REDIRECT_URIS)
  for (const uri of apps) {
    try {
      new URL(uri)
    } catch {
      fail('GATEHOUSE_APP_REDIRECT_URIS', `"${uri}" is not an absolute URI`)
    }
  }
  return oauth({
    providers: found.map((f) => f.spec),
    groupRoles: groupRoles(v.GATEHOUSE_OAUTH_GROUP_ROLES),
    appRedirectUris: apps,
    timeoutMs: (typeof seconds === 'number' ? seconds : seconds.data) * 1000,
    allowHttp,
    publicUrl: o.publicUrl,
    ...(o.fetch ? { fetch: o.fetch } : {}),
  })
}
