import { emailLookupKey, matchesUserQuery, sortedUnique } from '../common.ts'
import type {
  AccessChange,
  AccessGuard,
  CreateUserResult,
  NewUser,
  User,
  UserListQuery,
  UserPage,
  UserPatch,
  UserStore,
} from '../contracts.ts'
import { AccessGuardError, IdentityTakenError, StoreConflictError } from '../errors.ts'
import { getUser, type MemoryState, type StoredUser, withRoles } from './state.ts'

const identityKey = (provider: string, subject: string) => JSON.stringify([provider, subject])

export class MemoryUserStore implements UserStore {
  constructor(private readonly state: MemoryState) {}

  async createUser(input: NewUser): Promise<CreateUserResult> {
    if (this.state.users.has(input.id)) throw new Error('createUser: duplicate id') // as the SQL primary key
    const all = [...this.state.users.values()]
    if (all.some((u) => u.email === input.email)) return { ok: false, conflict: 'email' }
    if (all.some((u) => u.usernameNormalized === input.usernameNormalized)) {
      return { ok: false, conflict: 'username' }
    }
    const { roles, ...stored } = input
    this.state.users.set(input.id, { ...stored, lastLoginAt: null })
    this.state.userRoles.set(input.id, new Set(roles.filter((r) => this.state.roles.has(r))))
    return { ok: true, user: getUser(this.state, input.id)! }
  }

  async getUserById(id: string): Promise<User | null> {
    return getUser(this.state, id)
  }

  async getUserByEmail(email: string): Promise<User | null> {
    const key = emailLookupKey(email)
    return this.find((u) => u.email === key)
  }

  async getUserByUsername(usernameNormalized: string): Promise<User | null> {
    return this.find((u) => u.usernameNormalized === usernameNormalized)
  }

  async getUserByIdentity(provider: string, subject: string): Promise<User | null> {
    const identity = this.state.identities.get(identityKey(provider, subject))
    return identity ? getUser(this.state, identity.userId) : null
  }

  async linkIdentity(userId: string, provider: string, subject: string, createdAt: number): Promise<void> {
    const key = identityKey(provider, subject)
    const existing = this.state.identities.get(key)
    if (existing && existing.userId !== userId) throw new IdentityTakenError()
    if (!this.state.users.has(userId)) throw new Error('linkIdentity: unknown user')
    if (!existing) this.state.identities.set(key, { userId, createdAt })
  }

  async updateUser(id: string, patch: UserPatch): Promise<User | null> {
    const stored = this.state.users.get(id)
    if (!stored) return null
    if (patch.email !== undefined) {
      for (const other of this.state.users.values()) {
        if (other.id !== id && other.email === patch.email) throw new StoreConflictError('email')
      }
    }
    if (patch.usernameNormalized !== undefined) {
      for (const other of this.state.users.values()) {
        if (other.id !== id && other.usernameNormalized === patch.usernameNormalized)
          throw new StoreConflictError('username')
      }
    }
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))
    this.state.users.set(id, { ...stored, ...defined })
    return getUser(this.state, id)
  }

  async setPasswordHash(id: string, passwordHash: string | null): Promise<void> {
    const stored = this.state.users.get(id)
    if (stored) this.state.users.set(id, { ...stored, passwordHash })
  }

  async listUsers({ q, role, active, sort = 'created', offset, limit }: UserListQuery): Promise<UserPage> {
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
    const order: Record<string, (a: StoredUser, b: StoredUser) => number> = {
      created: (a, b) => a.createdAt - b.createdAt || byId(a, b),
      last_login: (a, b) =>
        Number(a.lastLoginAt === null) - Number(b.lastLoginAt === null) ||
        (b.lastLoginAt ?? 0) - (a.lastLoginAt ?? 0) ||
        byId(a, b),
      username: (a, b) =>
        (a.usernameNormalized < b.usernameNormalized
          ? -1
          : a.usernameNormalized > b.usernameNormalized
            ? 1
            : 0) || byId(a, b),
    }
    const matching = [...this.state.users.values()]
      .filter((u) => !q || matchesUserQuery(q, [u.email, u.username, u.name]))
      .filter((u) => active === undefined || u.active === active)
      .filter((u) => role === undefined || withRoles(this.state, u).roles.includes(role))
      .sort(order[sort] ?? order.created)
    return {
      users: matching.slice(offset, offset + limit).map((u) => withRoles(this.state, u)),
      total: matching.length,
    }
  }

  async otherPasswordHashes(currentPrefix: string, limit: number): Promise<string[]> {
    return [...this.state.users.values()]
      .map((u) => u.passwordHash)
      .filter((h): h is string => h !== null && !h.startsWith(currentPrefix))
      .slice(0, limit)
  }

  async setRoles(id: string, roles: string[]): Promise<void> {
    if (!this.state.users.has(id)) return
    this.state.userRoles.set(id, new Set(roles.filter((r) => this.state.roles.has(r))))
  }

  // No await between the guard's checks and the write: in one process that is atomic.
  async updateAccess(id: string, change: AccessChange, guard: AccessGuard = {}): Promise<User | null> {
    this.#checkActor(guard)
    const stored = this.state.users.get(id)
    if (!stored) return null
    const roles = change.roles
      ? new Set(change.roles.filter((r) => this.state.roles.has(r)))
      : (this.state.userRoles.get(id) ?? new Set<string>())
    const active = change.active ?? stored.active
    this.#checkLastHolder(
      id,
      guard,
      active && (guard.keepActiveRole ? roles.has(guard.keepActiveRole) : false),
    )
    this.state.users.set(id, { ...stored, active })
    this.state.userRoles.set(id, new Set(roles))
    return getUser(this.state, id)
  }

  #checkActor(guard: AccessGuard): void {
    if (!guard.actor) return
    const actor = this.state.users.get(guard.actor.id)
    const role = guard.actor.role
    if (!actor?.active || (role !== undefined && !this.state.userRoles.get(actor.id)?.has(role)))
      throw new AccessGuardError('actor')
  }

  /** Refuses when `id` holds the guarded role now, will not afterwards, and no other active user holds it. */
  #checkLastHolder(id: string, guard: AccessGuard, holdsAfter: boolean): void {
    const role = guard.keepActiveRole
    if (role === undefined || holdsAfter) return
    const holds = (userId: string) =>
      !!this.state.users.get(userId)?.active && !!this.state.userRoles.get(userId)?.has(role)
    if (!holds(id)) return
    for (const other of this.state.users.keys()) if (other !== id && holds(other)) return
    throw new AccessGuardError('last-holder')
  }

  async deleteUser(id: string, guard: AccessGuard = {}): Promise<boolean> {
    this.#checkActor(guard)
    if (this.state.users.has(id)) this.#checkLastHolder(id, guard, false)
    if (!this.state.users.delete(id)) return false
    // Same cascade as the SQL foreign keys (ON DELETE CASCADE).
    this.state.userRoles.delete(id)
    for (const [key, identity] of this.state.identities) {
      if (identity.userId === id) this.state.identities.delete(key)
    }
    for (const [key, session] of this.state.sessions) {
      if (session.userId === id) this.state.sessions.delete(key)
    }
    for (const [key, apiKey] of this.state.apiKeys) {
      if (apiKey.userId === id) this.state.apiKeys.delete(key)
    }
    return true
  }

  async defineRole(name: string, permissions: string[]): Promise<void> {
    this.state.roles.set(name, new Set(permissions))
  }

  async listRoles(): Promise<{ name: string; permissions: string[] }[]> {
    return [...this.state.roles]
      .map(([name, permissions]) => ({ name, permissions: sortedUnique(permissions) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  private find(predicate: (u: StoredUser) => boolean): User | null {
    for (const u of this.state.users.values()) if (predicate(u)) return withRoles(this.state, u)
    return null
  }
}
