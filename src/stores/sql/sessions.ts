import type { Kysely } from 'kysely'
import type { SessionRecord, SessionStore, User } from '../contracts.ts'
import { compileOnce } from './compiled.ts'
import type { Database, SessionsTable } from './schema.ts'
import { userColumns, userFromRows } from './user-rows.ts'

const sessionColumns = [
  's.id as s_id',
  's.secret_hash as s_secret_hash',
  's.user_id as s_user_id',
  's.created_at as s_created_at',
  's.last_seen_at as s_last_seen_at',
  's.expires_at as s_expires_at',
  's.absolute_expires_at as s_absolute_expires_at',
  's.remember as s_remember',
  's.ip as s_ip',
  's.user_agent as s_user_agent',
] as const

type PrefixedSession = { [K in keyof SessionsTable as `s_${K & string}`]: SessionsTable[K] }

function toSession(r: Omit<PrefixedSession, 's_data'> & { s_data?: string | null }): SessionRecord {
  const session: SessionRecord = {
    id: r.s_id,
    secretHash: r.s_secret_hash,
    userId: r.s_user_id,
    createdAt: Number(r.s_created_at),
    lastSeenAt: Number(r.s_last_seen_at),
    expiresAt: Number(r.s_expires_at),
    absoluteExpiresAt: Number(r.s_absolute_expires_at),
    remember: Number(r.s_remember) === 1,
    ip: r.s_ip,
    userAgent: r.s_user_agent,
  }
  if (r.s_data != null) session.dataJson = r.s_data
  return session
}

export class SqlSessionStore implements SessionStore {
  readonly #withUser

  /** Set for SQLite (see SessionStore.changeMarker). */
  readonly changeMarker?: () => number

  constructor(
    private readonly db: Kysely<Database>,
    dataVersion?: () => number,
  ) {
    if (dataVersion) this.changeMarker = dataVersion
    this.#withUser = compileOnce(
      db,
      (id: string) =>
        db
          .selectFrom('sessions as s')
          .innerJoin('users as u', 'u.id', 's.user_id')
          .leftJoin('user_roles as ur', 'ur.user_id', 'u.id')
          .leftJoin('role_permissions as rp', 'rp.role', 'ur.role')
          .select([...sessionColumns, 's.data as s_data', ...userColumns])
          .where('s.id', '=', id),
      [''],
    )
  }

  async createSession(s: SessionRecord): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        id: s.id,
        secret_hash: s.secretHash,
        user_id: s.userId,
        created_at: s.createdAt,
        last_seen_at: s.lastSeenAt,
        expires_at: s.expiresAt,
        absolute_expires_at: s.absoluteExpiresAt,
        remember: s.remember ? 1 : 0,
        ip: s.ip,
        user_agent: s.userAgent,
        data: s.dataJson ?? null,
      })
      .execute()
  }

  /** The hot path: one query, one row per (role, permission) of the owner. */
  async getSessionWithUser(id: string): Promise<{ session: SessionRecord; user: User } | null> {
    const rows = await this.#withUser(id)
    const user = userFromRows(rows)
    return rows[0] && user ? { session: toSession(rows[0]), user } : null
  }

  async touchSession(id: string, lastSeenAt: number, expiresAt: number): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ last_seen_at: lastSeenAt, expires_at: expiresAt })
      .where('id', '=', id)
      .execute()
  }

  async setSessionData(id: string, dataJson: string | null): Promise<void> {
    await this.db.updateTable('sessions').set({ data: dataJson }).where('id', '=', id).execute()
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id', '=', id).execute()
  }

  async deleteUserSessions(userId: string, exceptId?: string): Promise<number> {
    let query = this.db.deleteFrom('sessions').where('user_id', '=', userId)
    if (exceptId !== undefined) query = query.where('id', '!=', exceptId)
    const result = await query.executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  async listUserSessions(userId: string): Promise<SessionRecord[]> {
    const rows = await this.db
      .selectFrom('sessions as s')
      .select(sessionColumns)
      .where('s.user_id', '=', userId)
      .orderBy('s.last_seen_at', 'desc')
      .orderBy('s.created_at', 'desc')
      .execute()
    return rows.map(toSession)
  }
}
