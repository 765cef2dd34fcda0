import type { AuditEvent, AuditQuery, AuditStore } from '../contracts.ts'

export class MemoryAuditStore implements AuditStore {
  private readonly events: AuditEvent[] = []

  async appendAudit(event: AuditEvent): Promise<void> {
    this.events.push(structuredClone(event))
  }

  async listAudit({
    type,
    userId,
    from,
    to,
    offset,
    limit,
  }: AuditQuery): Promise<{ events: AuditEvent[]; total: number }> {
    const matching = this.events
      .filter(
        (e) =>
          (type === undefined || e.type === type) &&
          (userId === undefined || e.userId === userId) &&
          (from === undefined || e.at >= from) &&
          (to === undefined || e.at < to),
      )
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    return {
      events: matching.slice(offset, offset + limit).map((e) => structuredClone(e)),
      total: matching.length,
    }
  }

  async scrubUser(userId: string): Promise<number> {
    let n = 0
    for (const e of this.events) {
      if (e.userId !== userId && e.actorId !== userId) continue
      e.ip = null
      e.userAgent = null
      if (e.userId === userId) e.data = null
      n++
    }
    return n
  }
}
