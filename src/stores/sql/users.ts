import { type Kysely, sql } from 'kysely'
import { emailLookupKey, sortedUnique } from '../common.ts'
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
import { IdentityTakenError, StoreConflictError } from '../errors.ts'
import { compileOnce } from './compiled.ts'
import type { Database, UsersTable } from './schema.ts'
import { userConflictField } from './unique-violation.ts'
import { deleteUserGuarded, insertKnownRoles, updateAccessGuarded } from './user-access.ts'
import { listUsersSql } from './user-list.ts'
import { type Db, escapeLike, selectUsers, userFromRows } from './user-rows.ts'

export class SqlUserStore implements UserStore {
  /** Loads the user of every bearer-token request: compiled once. */
  readonly #byId

  constructor(private readonly db: Kysely<Database>) {
    this.#byId = compileOnce(db, (id: string) => this.selectUsers().where('u.id', '=', id), [''])
  }

  async createUser(input: NewUser): Promise<CreateUserResult> {
    try {
      const clash = await this.db.transaction().execute(async (trx) => {
        // Checked first so the common case answers cleanly; the catch below covers races.
        const taken = await trx
          .selectFrom('users')
          .select(['email', 'username_normalized'])
          .where((eb) =>
            eb.or([eb('email', '=', input.email), eb('username_normalized', '=', input.usernameNormalized)]),
          )
          .execute()
        if (taken.some((u) => u.email === input.email)) return 'email' as const
        if (taken.length > 0) return 'username' as const
        await trx
          .insertInto('users')
          .values({
            id: input.id,
            email: input.email,
            username: input.username,
            username_normalized: input.usernameNormalized,
            name: input.name,
            password_hash: input.passwordHash,
            active: input.active ? 1 : 0,
            email_verified: input.emailVerified ? 1 : 0,
            created_at: input.createdAt,
            last_login_at: null,
          })
          .execute()
        await insertKnownRoles(trx, input.id, input.roles)
        return null
      })
      if (clash) return { ok: false, conflict: clash }
    } catch (error) {
      const conflict = userConflictField(error)
      if (conflict) return { ok: false, conflict }
      throw error
    }
    const user = await this.getUserById(input.id)
    if (!user) throw new Error('createUser: user vanished after insert')
    return { ok: true, user }
  }

  async getUserById(id: string): Promise<User | null> {
    return userFromRows(await this.#byId(id))
  }

  async getUserByEmail(email: string): Promise<User | null> {
    return userFromRows(await this.selectUsers().where('u.email', '=', emailLookupKey(email)).execute())
  }

  async getUserByUsername(usernameNormalized: string): Promise<User | null> {
    return userFromRows(
      await this.selectUsers().where('u.username_normalized', '=', usernameNormalized).execute(),
    )
  }

  async getUserByIdentity(provider: string, subject: string): Promise<User | null> {
    const rows = await this.selectUsers()
      .innerJoin('identities as i', 'i.user_id', 'u.id')
      .where('i.provider', '=', provider)
      .where('i.subject', '=', subject)
      .execute()
    return userFromRows(rows)
  }

  async linkIdentity(userId: string, provider: string, subject: string, createdAt: number): Promise<void> {
    const inserted = await this.db
      .insertInto('identities')
      .values({ provider, subject, user_id: userId, created_at: createdAt })
      .onConflict((oc) => oc.columns(['provider', 'subject']).doNothing())
      .executeTakeFirst()
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return
    const owner = await this.db
      .selectFrom('identities')
      .select('user_id')
      .where('provider', '=', provider)
      .where('subject', '=', subject)
      .executeTakeFirst()
    if (owner && owner.user_id !== userId) throw new IdentityTakenError()
  }

  async updateUser(id: string, patch: UserPatch): Promise<User | null> {
    const set: Partial<UsersTable> = {}
    if (patch.email !== undefined) set.email = patch.email
    if (patch.name !== undefined) set.name = patch.name
    if (patch.active !== undefined) set.active = patch.active ? 1 : 0
    if (patch.emailVerified !== undefined) set.email_verified = patch.emailVerified ? 1 : 0
    if (patch.lastLoginAt !== undefined) set.last_login_at = patch.lastLoginAt
    if (patch.username !== undefined) set.username = patch.username
    if (patch.usernameNormalized !== undefined) set.username_normalized = patch.usernameNormalized
    if (Object.keys(set).length > 0) {
      try {
        const result = await this.db.updateTable('users').set(set).where('id', '=', id).executeTakeFirst()
        if (Number(result.numUpdatedRows) === 0) return null
      } catch (error) {
        const field = userConflictField(error)
        if (field) throw new StoreConflictError(field, { cause: error })
        throw error
      }
    }
    return this.getUserById(id)
  }

  async setPasswordHash(id: string, passwordHash: string | null): Promise<void> {
    await this.db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).execute()
  }

  async listUsers(query: UserListQuery): Promise<UserPage> {
    return listUsersSql(this.db, query)
  }

  async otherPasswordHashes(currentPrefix: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('users')
      .select('password_hash')
      .where('password_hash', 'is not', null)
      .where(
        (eb) =>
          sql<boolean>`${eb.ref('password_hash')} not like ${`${escapeLike(currentPrefix)}%`} escape '\\'`,
      )
      .limit(limit)
      .execute()
    return rows.map((r) => r.password_hash!)
  }

  async setRoles(id: string, roles: string[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('user_roles').where('user_id', '=', id).execute()
      await insertKnownRoles(trx, id, roles)
    })
  }

  /** Roles and active in one transaction, the guard checked inside it (user-access.ts). */
  async updateAccess(id: string, change: AccessChange, guard: AccessGuard = {}): Promise<User | null> {
    return updateAccessGuarded(this.db, id, change, guard)
  }

  async deleteUser(id: string, guard: AccessGuard = {}): Promise<boolean> {
    return deleteUserGuarded(this.db, id, guard)
  }

  async defineRole(name: string, permissions: string[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      // Upsert, never delete-and-insert: deleting the role would cascade to user_roles.
      await trx
        .insertInto('roles')
        .values({ name })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute()
      // Only the difference is written, and inserts skip rows already there: instances that
      // start together on an empty database define the same roles at once without a
      // duplicate-key failure (the other transaction's rows are invisible until it commits).
      const unique = sortedUnique(permissions)
      let stale = trx.deleteFrom('role_permissions').where('role', '=', name)
      if (unique.length > 0) stale = stale.where('permission', 'not in', unique)
      await stale.execute()
      if (unique.length > 0) {
        await trx
          .insertInto('role_permissions')
          .values(unique.map((permission) => ({ role: name, permission })))
          .onConflict((oc) => oc.columns(['role', 'permission']).doNothing())
          .execute()
      }
    })
  }

  async listRoles(): Promise<{ name: string; permissions: string[] }[]> {
    const rows = await this.db
      .selectFrom('roles as r')
      .leftJoin('role_permissions as rp', 'rp.role', 'r.name')
      .select(['r.name as name', 'rp.permission as permission'])
      .orderBy('r.name')
      .orderBy('rp.permission')
      .execute()
    const roles = new Map<string, string[]>()
    for (const { name, permission } of rows) {
      const list = roles.get(name) ?? []
      if (permission !== null) list.push(permission)
      roles.set(name, list)
    }
    return [...roles].map(([name, list]) => ({ name, permissions: sortedUnique(list) }))
  }

  /** Users with roles and permissions joined: the one shape every user read uses. */
  private selectUsers(db: Db = this.db) {
    return selectUsers(db)
  }
}
