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
    offset,
    limit,
  }: AuditQuery): Promise<{ events: AuditEvent[]; total: number }> {
    let filtered = this.db.selectFrom('audit_events')
    if (type !== undefined) filtered = filtered.where('type', '=', type)
    if (userId !== undefined) filtered = filtered.where('user_id', '=', userId)
    const [rows, counted] = await Promise.all([
      filtered.selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute(),
      filtered.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    ])
    return { events: rows.map(toEvent), total: Number(counted.total) }
  }
}
