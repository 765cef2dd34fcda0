import type { Kysely } from 'kysely'
import type { AuditEvent, AuditQuery, AuditStore } from '../contracts.ts'
import type { AuditEventsTable, Database } from './schema.ts'

function toEvent(r: AuditEventsTable): AuditEvent {
  return {
    id: r.id,
    at: Number(r.at),
    type: r.type,
    userId: r.user_id,
    actorId: r.actor_id,
    ip: r.ip,
    userAgent: r.user_agent,
    reason: r.reason,
    data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>),
  }
}

export class SqlAuditStore implements AuditStore {
  constructor(private readonly db: Kysely<Database>) {}

  async appendAudit(e: AuditEvent): Promise<void> {
    await this.db
      .insertInto('audit_events')
      .values({
        id: e.id,
        at: e.at,
        type: e.type,
        user_id: e.userId,
        actor_id: e.actorId,
        ip: e.ip,
        user_agent: e.userAgent,
        reason: e.reason,
        data: e.data === null ? null : JSON.stringify(e.data),
      })
      .execute()
  }

  async listAudit({
    type,
    userId,
    from,
    to,
    offset,
    limit,
  }: AuditQuery): Promise<{ events: AuditEvent[]; total: number }> {
    let filtered = this.db.selectFrom('audit_events')
    if (type !== undefined) filtered = filtered.where('type', '=', type)
    if (userId !== undefined) filtered = filtered.where('user_id', '=', userId)
    if (from !== undefined) filtered = filtered.where('at', '>=', from)
    if (to !== undefined) filtered = filtered.where('at', '<', to)
    const [rows, counted] = await Promise.all([
      filtered.selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute(),
      filtered.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    ])
    return { events: rows.map(toEvent), total: Number(counted.total) }
  }

  async scrubUser(userId: string): Promise<number> {
    const about = await this.db
      .updateTable('audit_events')
      .set({ ip: null, user_agent: null, data: null })
      .where('user_id', '=', userId)
      .executeTakeFirst()
    const by = await this.db
      .updateTable('audit_events')
      .set({ ip: null, user_agent: null })
      .where('actor_id', '=', userId)
      .where((eb) => eb.or([eb('user_id', 'is', null), eb('user_id', '!=', userId)]))
      .executeTakeFirst()
    return Number(about.numUpdatedRows) + Number(by.numUpdatedRows)
  }
}
