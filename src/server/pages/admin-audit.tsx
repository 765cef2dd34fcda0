import type { Context, Hono } from 'hono'
import type { FC } from 'hono/jsx'
import { AUDIT_TYPES } from '../../core/audit.ts'
import type { Auth } from '../../core/auth.ts'
import type { AuditEvent, User } from '../../stores/contracts.ts'
import type { Services } from '../services.ts'
import { AdminTabs, Pager, pageParam, query } from './admin-nav.tsx'
import { dayRange, dayStart } from './audit-range.ts'
import { formatTime, isoTime } from './format.ts'
import { requireAdmin } from './guards.ts'
import { renderPage } from './layout.tsx'

const EVENTS_PER_PAGE = 50

/** What the audit page shows: its filters, one page of events, and the names of the users in them. */
interface AuditView {
  type: string
  who: string
  from: string
  to: string
  page: number
  filterUser: User | null
  events: AuditEvent[]
  total: number
  names: Map<string, string>
}

/** GET /admin/audit: security events, newest first, filtered by type and user. */
export function adminAuditPages(pages: Hono, s: Services): void {
  pages.get('/admin/audit', requireAdmin, async (c) => auditPage(c, await loadAudit(c, s.auth)))
}

async function loadAudit(c: Context, auth: Auth): Promise<AuditView> {
  const rawType = (c.req.query('type') ?? '').trim()
  const type = /^[a-z_.]{1,64}$/.test(rawType) ? rawType : ''
  const who = (c.req.query('user') ?? '').trim().slice(0, 256)
  const page = pageParam(c.req.query('page'))
  const from = dayStart(c.req.query('from')) !== undefined ? c.req.query('from')! : ''
  const to = dayStart(c.req.query('to')) !== undefined ? c.req.query('to')! : ''
  let filterUser: User | null = null
  if (who) {
    filterUser =
      (await auth.findUserByLogin(who)) ?? (who.length <= 64 ? await auth.users.getUser(who) : null)
  }
  const { events, total } =
    who && !filterUser
      ? { events: [] as AuditEvent[], total: 0 }
      : await auth.listAudit({
          type: type || undefined,
          userId: filterUser?.id,
          ...dayRange(from, to),
          offset: (page - 1) * EVENTS_PER_PAGE,
          limit: EVENTS_PER_PAGE,
        })
  const names = new Map<string, string>()
  for (const id of new Set(events.flatMap((e) => [e.userId, e.actorId]).filter((x): x is string => !!x))) {
    const u = await auth.users.getUser(id)
    names.set(id, u ? u.username : 'deleted user')
  }
  return { type, who, from, to, page, filterUser, events, total, names }
}

/** One event; `nameOf` names the users it mentions. */
const AuditRow: FC<{ e: AuditEvent; nameOf: (id: string | null) => string | null }> = ({ e, nameOf }) => (
  <tr data-event={e.type}>
    <td data-label="Time">
      <time datetime={isoTime(e.at)}>{formatTime(e.at)}</time>
    </td>
    <td data-label="Event">
      <span class={`badge ${/failure|reuse|deactivate/.test(e.type) ? 'off' : ''}`}>{e.type}</span>
    </td>
    <td data-label="User">{nameOf(e.userId) ?? <span class="muted">—</span>}</td>
    <td data-label="By">
      {e.actorId && e.actorId !== e.userId ? nameOf(e.actorId) : <span class="muted">—</span>}
    </td>
    <td data-label="IP">{e.ip ?? <span class="muted">—</span>}</td>
    <td data-label="Reason">{e.reason ? <code>{e.reason}</code> : <span class="muted">—</span>}</td>
    <td class="details-cell" data-label="Details">
      {e.data ? <code>{JSON.stringify(e.data).slice(0, 200)}</code> : <span class="muted">—</span>}
    </td>
  </tr>
)

/** Event type, user and date range of the audit log (a GET form). */
const AuditFilters: FC<{ type: string; who: string; from: string; to: string }> = ({
  type,
  who,
  from,
  to,
}) => (
  <form method="get" action="/admin/audit" class="filter-form" aria-label="Filter the audit log">
    <label for="audit-type">
      Event
      <select id="audit-type" name="type">
        <option value="" selected={!type}>
          All events
        </option>
        {AUDIT_TYPES.map((t) => (
          <option value={t} selected={t === type}>
            {t}
          </option>
        ))}
      </select>
    </label>
    <label for="audit-user">
      User
      <input
        id="audit-user"
        type="search"
        name="user"
        value={who}
        placeholder="Username, email or id"
        autocomplete="off"
        maxlength={256}
      />
    </label>
    <label for="audit-from">
      From
      <input id="audit-from" type="date" name="from" value={from} />
    </label>
    <label for="audit-to">
      To
      <input id="audit-to" type="date" name="to" value={to} />
    </label>
    <div class="filter-actions">
      <button type="submit">Filter</button>
      {type || who || from || to ? (
        <a href="/admin/audit" class="secondary">
          Clear
        </a>
      ) : null}
    </div>
  </form>
)

function auditPage(c: Context, view: AuditView): Response | Promise<Response> {
  const { type, who, from, to, page, filterUser, events, total, names } = view
  const exportQuery = (format: string) => `/admin/audit/export${query({ format, type, from, to })}`
  const nameOf = (id: string | null) => (id ? (names.get(id) ?? id) : null)
  return renderPage(
    c,
    { title: 'Admin · Audit log' },
    <>
      <hgroup class="page-heading">
        <h1>Administration</h1>
        <p class="muted">Security events, newest first.</p>
      </hgroup>
      <AdminTabs active="audit" />
      <AuditFilters type={type} who={who} from={from} to={to} />
      <p class="export-links actions">
        <span class="muted">Export {from || to ? 'this date range' : 'everything'}:</span>
        <a href={exportQuery('csv')} download>
          CSV
        </a>
        <a href={exportQuery('json')} download>
          JSON
        </a>
      </p>
      {who && !filterUser ? (
        <div class="flash info" role="status">
          No user matches “{who}”.
        </div>
      ) : null}
      <div class="table-wrap">
        <table class="striped audit-table stack-wide">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
              <th scope="col">User</th>
              <th scope="col">By</th>
              <th scope="col">IP</th>
              <th scope="col">Reason</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {events.length === 0 ? (
              <tr>
                <td colspan={7} class="muted empty">
                  No events.
                </td>
              </tr>
            ) : null}
            {events.map((e) => (
              <AuditRow e={e} nameOf={nameOf} />
            ))}
          </tbody>
        </table>
      </div>
      <Pager
        path="/admin/audit"
        page={page}
        perPage={EVENTS_PER_PAGE}
        total={total}
        params={{ type, user: who, from, to }}
      />
    </>,
  )
}
