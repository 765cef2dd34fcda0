/**
 * The access writes of SqlUserStore: roles and active changed in one transaction that
 * re-checks the actor and keeps the last active holder of a role (updateAccess, guarded
 * deleteUser), and the role inserts every user write shares.
 */
import { type Kysely, sql, type Transaction } from 'kysely'
import { sortedUnique } from '../common.ts'
import type { AccessChange, AccessGuard, User } from '../contracts.ts'
import { AccessGuardError } from '../errors.ts'
import type { Database } from './schema.ts'
import { type Db, selectUsers, userFromRows } from './user-rows.ts'

export async function updateAccessGuarded(
  db: Kysely<Database>,
  id: string,
  change: AccessChange,
  guard: AccessGuard,
): Promise<User | null> {
  return db.transaction().execute(async (trx) => {
    await checkGuardBefore(trx, guard)
    const before = userFromRows(await selectUsers(trx).where('u.id', '=', id).execute())
    if (!before) return null
    if (change.active !== undefined) {
      await trx
        .updateTable('users')
        .set({ active: change.active ? 1 : 0 })
        .where('id', '=', id)
        .execute()
    }
    if (change.roles) {
      await trx.deleteFrom('user_roles').where('user_id', '=', id).execute()
      await insertKnownRoles(trx, id, change.roles)
    }
    await checkLastHolderAfter(trx, guard, before)
    return userFromRows(await selectUsers(trx).where('u.id', '=', id).execute())
  })
}

export async function deleteUserGuarded(
  db: Kysely<Database>,
  id: string,
  guard: AccessGuard,
): Promise<boolean> {
  // Sessions, identities, roles and API keys go with it (ON DELETE CASCADE).
  if (!guard.actor && guard.keepActiveRole === undefined) {
    const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }
  return db.transaction().execute(async (trx) => {
    await checkGuardBefore(trx, guard)
    const before = userFromRows(await selectUsers(trx).where('u.id', '=', id).execute())
    if (!before) return false
    await trx.deleteFrom('users').where('id', '=', id).execute()
    await checkLastHolderAfter(trx, guard, before)
    return true
  })
}

/**
 * Serialises guarded writes on a role and checks the actor. The lock is a no-op UPDATE of
 * the role's row: on PostgreSQL a row lock held to the end of the transaction (what
 * SELECT … FOR UPDATE would take; READ COMMITTED alone would let two demotions each see
 * the other admin and both commit); on SQLite it takes the database's write lock at the
 * first statement, so the reads that follow cannot go stale.
 */
async function checkGuardBefore(trx: Transaction<Database>, guard: AccessGuard): Promise<void> {
  const names = sortedUnique(
    [guard.keepActiveRole, guard.actor?.role].filter((r): r is string => r !== undefined),
  )
  if (names.length > 0) {
    await trx
      .updateTable('roles')
      .set((eb) => ({ name: eb.ref('name') }))
      .where('name', 'in', names)
      .execute()
  } else if (guard.actor) {
    // Still the writer lock on SQLite (a row lock on PostgreSQL) before the actor is read.
    await trx
      .updateTable('users')
      .set((eb) => ({ active: eb.ref('active') }))
      .where('id', '=', guard.actor.id)
      .execute()
  }
  if (!guard.actor) return
  const actor = userFromRows(await selectUsers(trx).where('u.id', '=', guard.actor.id).execute())
  const role = guard.actor.role
  if (!actor?.active || (role !== undefined && !actor.roles.includes(role)))
    throw new AccessGuardError('actor')
}

/** Throwing inside the transaction rolls the write back. */
async function checkLastHolderAfter(
  trx: Transaction<Database>,
  guard: AccessGuard,
  before: User,
): Promise<void> {
  const role = guard.keepActiveRole
  if (role === undefined || !before.active || !before.roles.includes(role)) return
  const left = await trx
    .selectFrom('users as u')
    .innerJoin('user_roles as ur', 'ur.user_id', 'u.id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('ur.role', '=', role)
    .where('u.active', '=', 1)
    .executeTakeFirstOrThrow()
  if (Number(left.n) === 0) throw new AccessGuardError('last-holder')
}

/**
 * Adds the named roles that exist, in one INSERT … SELECT so an unknown name is skipped
 * by the database rather than by a racy read. Nothing happens for an unknown user.
 */
export async function insertKnownRoles(db: Db, userId: string, roles: string[]): Promise<void> {
  const names = sortedUnique(roles)
  if (names.length === 0) return
  await db
    .insertInto('user_roles')
    .columns(['user_id', 'role'])
    .expression((eb) =>
      eb
        .selectFrom('roles')
        // cast: PostgreSQL cannot infer the type of a bare parameter in a select list.
        .select([sql<string>`cast(${userId} as text)`.as('user_id'), 'name'])
        .where('name', 'in', names)
        .where(({ exists, selectFrom }) => exists(selectFrom('users').select('id').where('id', '=', userId))),
    )
    .execute()
}
