import type { Stores, User } from '../../../stores/contracts.ts'
import type { Auth } from '../../auth.ts'
import type { RequestContext } from '../../context.ts'
import { createSecretBox } from '../../crypto/secretbox.ts'
import { AuthError } from '../../errors.ts'
import type { Proof } from '../../module.ts'
import { safeRedirect } from '../../protect/redirect.ts'
import { startSignedInSession } from '../../signin.ts'
import { guardStore } from '../../store-guard.ts'
import type { OAuthAccountStore } from './account-store.ts'
import { applyGroupRoles, link, userForIdentity } from './accounts.ts'
import { AppCodes } from './app-signin.ts'
import { type Attempt, Attempts } from './attempts.ts'
import type { ProviderFlow } from './flow.ts'
import { MemoryOAuthAccounts } from './memory-accounts.ts'
import { ProviderTokens } from './provider-tokens.ts'
import { SqlOAuthAccounts } from './sql-accounts.ts'
import type { GroupRoles } from './types.ts'

export interface ServiceSettings {
  groupRoles: GroupRoles
  appRedirectUris: readonly string[]
  defaultRedirect: string
  timeoutMs: number
  /** Base of the callback URL; default the auth's publicUrl. */
  publicUrl?: string
}

/** Memory stores have no tables: their linked accounts live beside them, one set per Stores. */
const memoryAccounts = new WeakMap<Stores, OAuthAccountStore>()

/** SQL stores (also composed with Redis) expose their Kysely instance as `db`. */
function accountStoreFor(stores: Stores): OAuthAccountStore {
  const db = (stores as { db?: { selectFrom?: unknown } }).db
  if (db && typeof db.selectFrom === 'function') return guardStore(new SqlOAuthAccounts(db as never))
  let store = memoryAccounts.get(stores)
  if (!store) {
    store = new MemoryOAuthAccounts()
    memoryAccounts.set(stores, store)
  }
  return store
}

export type CallbackResult =
  | { kind: 'session'; user: User; cookies: string[]; location: string }
  | { kind: 'app'; location: string }
  | { kind: 'linked'; location: string }

/** The module's work for one Auth: starting attempts, finishing callbacks, linking, tokens. */
export class OAuthService {
  readonly accounts: OAuthAccountStore
  readonly attempts: Attempts
  readonly codes: AppCodes
  readonly tokens: ProviderTokens

  constructor(
    readonly auth: Auth,
    readonly flows: ReadonlyMap<string, ProviderFlow>,
    readonly settings: ServiceSettings,
  ) {
    this.accounts = accountStoreFor(auth.options.stores)
    const prefix = auth.options.secure ? '__Host-' : ''
    this.attempts = new Attempts(auth.stores.kv, `${prefix}gh_oauth`, auth.options.secure)
    this.codes = new AppCodes(auth.stores.kv)
    const box = createSecretBox(auth.options.secret, 'oauth-provider-tokens')
    this.tokens = new ProviderTokens(auth, () => this.accounts, flows, box, settings.timeoutMs)
  }

  flow(id: string): ProviderFlow {
    const flow = this.flows.get(id)
    if (!flow) throw new AuthError('OAUTH_UNKNOWN_PROVIDER')
    return flow
  }

  redirectUri(id: string): string {
    return `${(this.settings.publicUrl ?? this.auth.options.publicUrl).replace(/\/+$/, '')}/auth/oauth/${id}/callback`
  }

  /** A new attempt: the provider's authorization URL and, for a new browser, its binding cookie. */
  async start(
    id: string,
    cookie: string | null,
    fields: Pick<Attempt, 'intent' | 'userId' | 'app'> & { next?: string | null },
  ): Promise<{ location: string; setCookie: string }> {
    const flow = this.flow(id)
    const binding = this.attempts.binding(cookie)
    const { state, attempt } = await this.attempts.start(binding.value, {
      provider: id,
      intent: fields.intent,
      next: safeRedirect(fields.next, fields.intent === 'link' ? '/profile' : this.settings.defaultRedirect),
      ...(fields.userId ? { userId: fields.userId } : {}),
      ...(fields.app ? { app: fields.app } : {}),
    })
    const url = await flow.authorizationUrl(this.redirectUri(id), {
      state,
      nonce: attempt.nonce,
      verifier: attempt.verifier,
    })
    return { location: url.href, setCookie: binding.setCookie }
  }

  async callback(id: string, url: URL, ctx: RequestContext): Promise<CallbackResult> {
    const flow = this.flow(id)
    const state = url.searchParams.get('state')
    const attempt = await this.attempts.finish(id, state, ctx.cookie)
    const { grant, profile } = await flow.finish(url, this.redirectUri(id), {
      state: state!,
      nonce: attempt.nonce,
      verifier: attempt.verifier,
    })
    let user: User
    let account: Awaited<ReturnType<typeof link>>
    if (attempt.intent === 'link') {
      const owner = attempt.userId ? await this.auth.stores.users.getUserById(attempt.userId) : null
      if (!owner?.active) throw new AuthError('UNAUTHENTICATED')
      user = owner
      account = await link(this.auth, this.accounts, owner, id, profile, ctx)
    } else {
      ;({ user, account } = await userForIdentity(this.auth, this.accounts, id, profile, ctx))
    }
    user = await applyGroupRoles(
      this.auth,
      this.accounts,
      user,
      account,
      profile,
      this.settings.groupRoles,
      ctx,
    )
    const current = await this.accounts.get(user.id, id)
    if (current) await this.tokens.save(current, grant)
    if (attempt.intent === 'link') return { kind: 'linked', location: attempt.next }
    if (!user.active) throw new AuthError('ACCOUNT_DISABLED')
    if (attempt.app) {
      const code = await this.codes.issue(user.id, attempt.app.challenge)
      const target = new URL(attempt.app.redirectUri)
      target.searchParams.set('code', code)
      if (attempt.app.state) target.searchParams.set('state', attempt.app.state)
      return { kind: 'app', location: target.href }
    }
    const started = await startSignedInSession(this.auth, oauthProof(user, id), {}, ctx)
    await this.auth.audit({ type: 'oauth.login', userId: user.id, data: { provider: id }, ctx })
    return { kind: 'session', user, cookies: started.cookies, location: attempt.next }
  }

  async list(userId: string) {
    const accounts = await this.accounts.listForUser(userId)
    return accounts.map((a) => ({
      provider: a.provider,
      name: this.flows.get(a.provider)?.spec.name ?? a.provider,
      email: a.email,
      linked_at: new Date(a.linkedAt).toISOString(),
    }))
  }

  /** Unlinks a provider, unless it is the user's last way to sign in (no password, no other provider). */
  async unlink(user: User, provider: string, ctx: Partial<RequestContext>): Promise<void> {
    const accounts = await this.accounts.listForUser(user.id)
    if (!accounts.some((a) => a.provider === provider)) throw new AuthError('OAUTH_NOT_LINKED')
    const fresh = (await this.auth.stores.users.getUserById(user.id)) ?? user
    if (fresh.passwordHash === null && accounts.length === 1) throw new AuthError('LAST_SIGN_IN_METHOD')
    await this.accounts.delete(user.id, provider)
    await this.auth.audit({ type: 'oauth.unlink', userId: user.id, data: { provider }, ctx })
  }
}

export function oauthProof(user: User, provider: string): Proof {
  return { user, method: `oauth:${provider}`, amr: [] }
}
