/**
 * A user is read with its roles and permissions in the same query:
 * `users u LEFT JOIN user_roles ur LEFT JOIN role_permissions rp`, one row per
 * (role, permission) pair. These helpers name the selected columns and fold the
 * rows back into users, so every query that returns a user does it the same way.
 */
import type { Kysely, Transaction } from 'kysely'
import { sortedUnique } from '../common.ts'
import type { User } from '../contracts.ts'
import type { Database } from './schema.ts'

export type Db = Kysely<Database> | Transaction<Database>

/** User columns, prefixed `u_` so they never collide with the table joined to them. */
export const userColumns = [
  'u.id as u_id',
  'u.email as u_email',
  'u.username as u_username',
  'u.username_normalized as u_username_normalized',
  'u.name as u_name',
  'u.password_hash as u_password_hash',
  'u.active as u_active',
  'u.email_verified as u_email_verified',
  'u.created_at as u_created_at',
  'u.last_login_at as u_last_login_at',
  'ur.role as u_role',
  'rp.permission as u_permission',
] as const

export interface UserRow {
  u_id: string
  u_email: string
  u_username: string
  u_username_normalized: string
  u_name: string | null
  u_password_hash: string | null
  u_active: number
  u_email_verified: number
  u_created_at: number
  u_last_login_at: number | null
  u_role: string | null
  u_permission: string | null
}

/** Folds joined rows into users, keeping the order in which each user first appears. */
export function usersFromRows(rows: readonly UserRow[]): User[] {
  const grouped = new Map<string, { first: UserRow; roles: string[]; permissions: string[] }>()
  for (const row of rows) {
    let entry = grouped.get(row.u_id)
    if (!entry) {
      entry = { first: row, roles: [], permissions: [] }
      grouped.set(row.u_id, entry)
    }
    if (row.u_role !== null) entry.roles.push(row.u_role)
    if (row.u_permission !== null) entry.permissions.push(row.u_permission)
  }
  return [...grouped.values()].map(({ first: r, roles, permissions }) => ({
    id: r.u_id,
    email: r.u_email,
    username: r.u_username,
    usernameNormalized: r.u_username_normalized,
    name: r.u_name,
    passwordHash: r.u_password_hash,
    active: Number(r.u_active) === 1,
    emailVerified: Number(r.u_email_verified) === 1,
    createdAt: Number(r.u_created_at),
    lastLoginAt: r.u_last_login_at === null ? null : Number(r.u_last_login_at),
    roles: sortedUnique(roles),
    permissions: sortedUnique(permissions),
  }))
}

export function userFromRows(rows: readonly UserRow[]): User | null {
  return usersFromRows(rows)[0] ?? null
}

/** `%`, `_` and `\` in user input are data, not wildcards (paired with `escape '\'`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/** Users with roles and permissions joined: the one shape every user read uses. */
export function selectUsers(db: Db) {
  return db
    .selectFrom('users as u')
    .leftJoin('user_roles as ur', 'ur.user_id', 'u.id')
    .leftJoin('role_permissions as rp', 'rp.role', 'ur.role')
    .select(userColumns)
}
