import type { Stores, User } from '../stores/contracts.ts'
import type { Auth, Authenticated } from './auth.ts'
import type { RequestContext } from './context.ts'
import { AuthError, registerErrorCodes } from './errors.ts'
import type { AccountHooks } from './users/account-hooks.ts'

/**
 * The module contract: how a sign-in method or a feature adds itself to Gatehouse without
 * editing the centre. A module declares what it owns — error codes, audit event types, a
 * key-value prefix, one-time-token purposes, SQL migrations — and what it contributes:
 * typed hooks into the sign-in pipeline and routes (framework-free: Web Request in, Response
 * out; the server and the adapters mount them). `composeModules` checks that no two modules
 * (nor a module and the core) claim the same name, and fails at start naming both.
 *
 * Options: a module is made by a factory (`magicLink({ ttl: 900 })`) that validates its
 * own options once, with their defaults in that factory, and returns the module.
 */
export interface AuthModule {
  /** Lower-case, unique: `password`, `api-keys`, `oauth`. Also the prefix of its migrations. */
  id: string
  /** code → [HTTP status, message safe to show]. Declare the codes for TypeScript by merging into `ModuleErrorCodes`. */
  errors?: Record<string, readonly [number, string]>
  /** Audit event types it records (merge them into `ModuleAuditTypes` for TypeScript). */
  auditTypes?: readonly string[]
  /** The prefix of every key-value key it writes, e.g. `magic:`. */
  kvPrefix?: string
  /** One-time-token purposes it issues (OneTimeTokens). */
  tokenPurposes?: readonly string[]
  /** SQL migrations by name (applied after the core's, in name order, as `<id>/<name>`). */
  migrations?: Record<string, ModuleMigration>
  hooks?: SignInHooks
  routes?: readonly ModuleRoute[]
  /** What the module keeps about a user, for self-service export and deletion (users/self-service.ts). */
  account?: AccountHooks
}

export interface ModuleMigration {
  /** Receives the SQL stores' Kysely instance. */
  up(db: unknown): Promise<void>
}

/** What a method proved: who, by which method, and the authentication method references (RFC 8176). */
export interface Proof {
  user: User
  method: string
  amr: readonly string[]
}

/** A sign-in held back by a hook (a second factor): the client must answer it before a session exists. */
export interface PendingChallenge {
  kind: string
  /** Opaque to the pipeline; what the module needs to continue (e.g. a challenge id). */
  data: Record<string, unknown>
}

export interface SignInHooks {
  /**
   * After a method proved the identity and the gates passed, before anything is issued.
   * Return a challenge to hold the sign-in (second factors), or null to let it through.
   */
  challenge?(proof: Proof, ctx: Partial<RequestContext>): Promise<PendingChallenge | null>
  /** After a session or a token pair was issued. */
  signedIn?(proof: Proof, ctx: Partial<RequestContext>): Promise<void>
}

export interface ModuleRouteInput {
  auth: Auth
  request: Request
  ctx: RequestContext
  /** Who is calling (the adapters' authentication), or null. */
  who: Authenticated | null
  params: Record<string, string>
}

export interface ModuleRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** `api` routes are mounted under `/api` and answer JSON; `page` routes at the root. */
  kind: 'api' | 'page'
  /** Hono-style path with `:params`, relative to the mount point: `/auth/magic`. */
  path: string
  handle(input: ModuleRouteInput): Promise<Response>
}

/** Key-value prefixes the core writes (one-time tokens, refresh families, revocations, limits). */
export const CORE_KV_PREFIXES = ['ott:', 'tok:', 'throttle:', 'signup:', 'reset:', 'unlock:', 'verify:']

/** What the composed modules add, after the collision checks. */
export interface ModuleRegistry {
  readonly modules: readonly AuthModule[]
  readonly auditTypes: readonly string[]
  readonly tokenPurposes: readonly string[]
  /** Each route with the id of the module that contributes it. */
  readonly routes: readonly { module: string; route: ModuleRoute }[]
  readonly hooks: readonly SignInHooks[]
  /** `<id>/<name>` → migration. */
  readonly migrations: Record<string, ModuleMigration>
}

function conflict(what: string, first: string, second: string): AuthError {
  return new AuthError('CONFIG_INVALID', {
    message: `${what} is claimed by ${first} and by module "${second}"`,
  })
}

/** Checks the modules against the core and each other, registers their error codes. */
export function composeModules(
  modules: readonly AuthModule[],
  coreAuditTypes: readonly string[],
): ModuleRegistry {
  const ids = new Set<string>()
  const owners = {
    audit: new Map(coreAuditTypes.map((t) => [t, 'the core'])),
    purpose: new Map<string, string>(),
    route: new Map<string, string>(),
  }
  const prefixes: [string, string][] = CORE_KV_PREFIXES.map((p) => [p, 'the core'])
  const claim = (map: Map<string, string>, what: string, key: string, id: string) => {
    const owner = map.get(key)
    if (owner && owner !== `module "${id}"`) throw conflict(what, owner, id)
    map.set(key, `module "${id}"`)
  }
  const migrations: Record<string, ModuleMigration> = {}
  for (const m of modules) {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(m.id))
      throw new AuthError('CONFIG_INVALID', {
        message: `Module id "${m.id}" must be lower-case letters, digits and -`,
      })
    if (ids.has(m.id)) throw conflict(`Module id "${m.id}"`, `module "${m.id}"`, m.id)
    ids.add(m.id)
    registerErrorCodes(m.id, m.errors ?? {})
    for (const t of m.auditTypes ?? []) claim(owners.audit, `Audit type "${t}"`, t, m.id)
    for (const p of m.tokenPurposes ?? []) claim(owners.purpose, `Token purpose "${p}"`, p, m.id)
    for (const r of m.routes ?? [])
      claim(owners.route, `Route ${r.method} ${r.kind}:${r.path}`, `${r.method} ${r.kind}:${r.path}`, m.id)
    if (m.kvPrefix !== undefined) {
      // Two prefixes collide when one starts with the other: their keys could meet.
      const clash = prefixes.find(([p]) => p.startsWith(m.kvPrefix!) || m.kvPrefix!.startsWith(p))
      if (clash)
        throw conflict(
          `Key-value prefix "${m.kvPrefix}"`,
          clash[1] === 'the core' ? `the core ("${clash[0]}")` : clash[1],
          m.id,
        )
      prefixes.push([m.kvPrefix, `module "${m.id}"`])
    }
    for (const [name, migration] of Object.entries(m.migrations ?? {}))
      migrations[`${m.id}/${name}`] = migration
  }
  return {
    modules,
    auditTypes: [...owners.audit.keys()],
    tokenPurposes: [...owners.purpose.keys()],
    routes: modules.flatMap((m) => (m.routes ?? []).map((route) => ({ module: m.id, route }))),
    hooks: modules.flatMap((m) => (m.hooks ? [m.hooks] : [])),
    migrations,
  }
}

/** Applies the modules' migrations where the stores are SQL (memory stores need none). */
export async function migrateModules(stores: Stores, registry: ModuleRegistry): Promise<void> {
  if (Object.keys(registry.migrations).length === 0) return
  await stores.applyMigrations?.(registry.migrations)
}
