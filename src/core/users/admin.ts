import { randomUUID } from 'node:crypto'
import type { AccessGuard, User, UserListQuery, UserPage, UserPatch } from '../../stores/contracts.ts'
import type { Auth } from '../auth.ts'
import type { RequestContext } from '../context.ts'
import { AuthError } from '../errors.ts'
import { type CreateUserInput, validateSignUp } from '../methods/password/signup.ts'
import { normalizeEmail, normalizeUsername } from '../users.ts'

/** The role the admin routes require; guarded changes keep at least one active holder of it. */
export const ADMIN_ROLE = 'admin'

/** How an administrative change (updateAccess, setRoles, setActive, deleteUser) is checked. */
export interface AccessOptions {
  /** The role the actor must still hold at the moment of the write (the server's admin routes: `admin`). */
  actorRole?: string
  /**
   * Refuse (LAST_ADMIN) a change that would leave no active admin. Default: true when an
   * actor is given; operator calls without one (actor null) opt in — the CLI does.
   */
  keepActiveAdmin?: boolean
}

/**
 * User administration: creating users (the sign-up methods and operators), roles, the
 * active flag, deletion — every change validated first, then written in one guarded store
 * step that keeps an active admin and re-checks the actor.
 */
export class UserAdmin {
  constructor(private readonly auth: Auth) {}

  /** One user by id (admin pages, token refresh), or null. */
  getUser(id: string): Promise<User | null> {
    return this.auth.stores.users.getUserById(id)
  }

  /** The admin listing: `q` matches email, username or name; oldest first. */
  listUsers(query: UserListQuery): Promise<UserPage> {
    return this.auth.stores.users.listUsers(query)
  }

  /**
   * Creates a user whatever the public sign-up setting says: for operators (the CLI, actor
   * null) and administrators (the admin API and page). Validated like sign-up; the password
   * may be left out (the user then sets one through a reset link); `roles` default to
   * `signup.defaultRoles`. With an actor, the actor is re-read from the store and must still
   * be active (and hold `actorRole`). Audited as `user.create` with the actor's id.
   */
  async createUser(
    input: CreateUserInput,
    options: { actor?: User | null; actorRole?: string; ctx?: Partial<RequestContext> } = {},
  ): Promise<User> {
    const fields = validateSignUp(input, this.auth.options, { passwordOptional: true })
    const roles =
      input.roles === undefined ? this.auth.options.signup.defaultRoles : this.knownRoles(input.roles)
    if (options.actor) await this.recheckActor(options.actor, options.actorRole)
    return this.insertUser(fields, {
      roles,
      emailVerified: input.emailVerified === true,
      hideConflict: false,
      audit: { type: 'user.create', actorId: options.actor?.id ?? null, ctx: options.ctx },
    })
  }

  async insertUser(
    fields: ReturnType<typeof validateSignUp>,
    o: {
      roles: string[]
      emailVerified: boolean
      hideConflict: boolean
      audit: {
        type: 'signup' | 'user.create'
        actorId: string | null
        ctx: Partial<RequestContext> | undefined
      }
    },
  ): Promise<User> {
    const { email, username, name, password } = fields
    const passwordHash = password ? await this.auth.passwords.hash(password) : null
    const result = await this.auth.stores.users.createUser({
      id: randomUUID(),
      email: normalizeEmail(email),
      username,
      usernameNormalized: normalizeUsername(username),
      name,
      passwordHash,
      active: true,
      emailVerified: o.emailVerified,
      createdAt: this.auth.clock(),
      roles: [...new Set(o.roles)],
    })
    if (!result.ok) {
      if (o.hideConflict) throw new AuthError('ACCOUNT_EXISTS')
      throw result.conflict === 'email'
        ? new AuthError('EMAIL_TAKEN', { fields: { email: 'An account with this email already exists.' } })
        : new AuthError('USERNAME_TAKEN', { fields: { username: 'This username is taken.' } })
    }
    await this.auth.audit({
      type: o.audit.type,
      userId: result.user.id,
      ...(o.audit.type === 'user.create' ? { actorId: o.audit.actorId } : {}),
      data: o.audit.type === 'user.create' ? { roles: result.user.roles } : null,
      ctx: o.audit.ctx,
    })
    return result.user
  }

  /** Role names checked against the configured roles as own properties (`toString` is no role). */
  knownRoles(roles: unknown): string[] {
    if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string'))
      throw new AuthError('VALIDATION_FAILED', { fields: { roles: 'Must be a list of role names.' } })
    const unknown = roles.filter((r) => !Object.hasOwn(this.auth.options.roles, r))
    if (unknown.length > 0)
      throw new AuthError('VALIDATION_FAILED', { fields: { roles: `Unknown role: ${unknown[0]}` } })
    return [...new Set(roles as string[])]
  }

  /** The acting user as the store has it now: still active, still holding `role`. */
  async recheckActor(actor: User, role: string | undefined): Promise<void> {
    const fresh = await this.auth.stores.users.getUserById(actor.id)
    if (!fresh?.active || (role !== undefined && !fresh.roles.includes(role)))
      throw new AuthError('FORBIDDEN')
  }

  /**
   * Enables or disables a user (disabling ends every session and token). See updateAccess
   * for the checks; `options.actorRole` names the role the actor must still hold.
   */
  async setActive(
    userId: string,
    active: boolean,
    actor: User | null,
    ctx: Partial<RequestContext> = {},
    options: AccessOptions = {},
  ): Promise<User> {
    return this.updateAccess(userId, { active }, actor, ctx, options)
  }

  /** Replaces the roles of a user (removing one revokes the user's tokens). See updateAccess. */
  async setRoles(
    userId: string,
    roles: string[],
    actor: User | null,
    ctx: Partial<RequestContext> = {},
    options: AccessOptions = {},
  ): Promise<User> {
    return this.updateAccess(userId, { roles }, actor, ctx, options)
  }

  /**
   * Changes the roles and/or the active flag of a user as one atomic store write. Everything
   * is validated before anything is written: role names (own properties of `roles`), and an
   * actor may not deactivate or demote (from admin) themselves (CONFLICT). The store checks,
   * in the same step as the write, that the actor is still active (and holds
   * `options.actorRole`; FORBIDDEN otherwise) and that an active admin remains (LAST_ADMIN;
   * see AccessOptions.keepActiveAdmin).
   * Removing a role revokes the user's access tokens and refresh families, which carry the
   * roles; deactivating ends every session and token. Sessions re-read roles at once.
   */
  async updateAccess(
    userId: string,
    change: { roles?: string[]; active?: boolean },
    actor: User | null,
    ctx: Partial<RequestContext> = {},
    options: AccessOptions = {},
  ): Promise<User> {
    if (change.active !== undefined && typeof change.active !== 'boolean')
      throw new AuthError('VALIDATION_FAILED', { fields: { active: 'Must be true or false.' } })
    const roles = change.roles === undefined ? undefined : this.knownRoles(change.roles)
    const before = await this.auth.stores.users.getUserById(userId)
    if (!before) throw new AuthError('NOT_FOUND')
    if (actor && actor.id === userId) {
      if (change.active === false)
        throw new AuthError('CONFLICT', { message: 'You cannot deactivate your own account.' })
      if (roles && before.roles.includes(ADMIN_ROLE) && !roles.includes(ADMIN_ROLE))
        throw new AuthError('CONFLICT', { message: 'You cannot remove your own admin role.' })
    }
    const user = await this.auth.stores.users.updateAccess(
      userId,
      { ...(roles ? { roles } : {}), ...(change.active !== undefined ? { active: change.active } : {}) },
      this.#guard(actor, options),
    )
    if (!user) throw new AuthError('NOT_FOUND')
    this.auth.sessions.forgetUser(userId)
    if (before.active && !user.active) await this.auth.revokeEverything(userId)
    else if (roles && before.roles.some((r) => !user.roles.includes(r)))
      await this.auth.tokens?.revokeAllForUser(userId)
    const actorId = actor?.id ?? null
    if (roles)
      await this.auth.audit({ type: 'user.roles', userId, actorId, data: { roles: user.roles }, ctx })
    if (change.active !== undefined && before.active !== user.active)
      await this.auth.audit({ type: user.active ? 'user.activate' : 'user.deactivate', userId, actorId, ctx })
    return user
  }

  /**
   * An actor must still be active (and hold `actorRole`). The admin role keeps an active
   * holder whenever an actor acts, and for actor-less (operator) calls that ask for it.
   */
  #guard(actor: User | null, { actorRole, keepActiveAdmin = actor !== null }: AccessOptions): AccessGuard {
    return {
      ...(keepActiveAdmin ? { keepActiveRole: ADMIN_ROLE } : {}),
      ...(actor ? { actor: { id: actor.id, ...(actorRole !== undefined ? { role: actorRole } : {}) } } : {}),
    }
  }

  /** Changes fields of a user (email verified, name, …) and drops its cached sessions. */
  async updateUser(userId: string, patch: UserPatch): Promise<User | null> {
    const user = await this.auth.stores.users.updateUser(userId, patch)
    this.auth.sessions.forgetUser(userId)
    return user
  }

  /** Deletes a user (never oneself, never the last active admin) and every credential of it. */
  async deleteUser(
    userId: string,
    actor: User | null,
    ctx: Partial<RequestContext> = {},
    options: AccessOptions = {},
  ): Promise<void> {
    if (actor && actor.id === userId)
      throw new AuthError('CONFLICT', { message: 'You cannot delete your own account here.' })
    // Guarded delete first, so a refused one leaves the user's sessions alone.
    if (!(await this.auth.stores.users.deleteUser(userId, this.#guard(actor, options))))
      throw new AuthError('NOT_FOUND')
    await this.auth.revokeEverything(userId)
    // What modules keep about the user (linked providers…) goes too, as on a self-service deletion.
    for (const m of this.auth.modules.modules) await m.account?.deleteAccount?.(userId, this.auth)
    await this.auth.audit({ type: 'user.delete', userId, actorId: actor?.id ?? null, ctx })
  }
}
