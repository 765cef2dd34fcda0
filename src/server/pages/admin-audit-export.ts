import type { Hono } from 'hono'
import type { AuditEvent } from '../../stores/contracts.ts'
import type { Services } from '../services.ts'
import { dayRange } from './audit-range.ts'
import { requireAdmin } from './guards.ts'

const MAX_EVENTS = 100_000
const PAGE = 1000
const COLUMNS = ['at', 'type', 'user_id', 'actor_id', 'ip', 'user_agent', 'reason', 'data'] as const

/** One CSV field (RFC 4180); a leading = + - @ is quoted with ' so a spreadsheet never runs it as a formula. */
function csvField(value: string | null): string {
  if (value === null) return ''
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

function row(e: AuditEvent): Record<(typeof COLUMNS)[number], string | null> {
  return {
    at: new Date(e.at).toISOString(),
    type: e.type,
    user_id: e.userId,
    actor_id: e.actorId,
    ip: e.ip,
    user_agent: e.userAgent,
    reason: e.reason,
    data: e.data === null ? null : JSON.stringify(e.data),
  }
}

/** GET /admin/audit/export?format=csv|json&from=YYYY-MM-DD&to=YYYY-MM-DD&type=: a download, newest first. */
export function adminAuditExport(pages: Hono, s: Services): void {
  pages.get('/admin/audit/export', requireAdmin, async (c) => {
    const format = c.req.query('format') === 'json' ? 'json' : 'csv'
    const rawType = (c.req.query('type') ?? '').trim()
    const type = /^[a-z_.]{1,64}$/.test(rawType) ? rawType : undefined
    const range = dayRange(c.req.query('from'), c.req.query('to'))
    const events: AuditEvent[] = []
    for (let offset = 0; offset < MAX_EVENTS; offset += PAGE) {
      const page = await s.auth.listAudit({ ...(type ? { type } : {}), ...range, offset, limit: PAGE })
      events.push(...page.events)
      if (page.events.length < PAGE) break
    }
    const name = `audit-${c.req.query('from') ?? 'start'}-${c.req.query('to') ?? 'now'}`.replace(
      /[^A-Za-z0-9_-]/g,
      '',
    )
    const body =
      format === 'json'
        ? JSON.stringify({ events: events.map(row) }, null, 2)
        : [COLUMNS.join(','), ...events.map((e) => COLUMNS.map((k) => csvField(row(e)[k])).join(','))].join(
            '\r\n',
          )
    return c.body(body, 200, {
      'content-type': format === 'json' ? 'application/json; charset=utf-8' : 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}.${format}"`,
    })
  })
}
