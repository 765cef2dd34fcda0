import type { Context, Hono } from 'hono'
import type { FC } from 'hono/jsx'
import { csrfToken } from '../../adapters/hono.ts'
import { AuthError } from '../../core/errors.ts'
import type { SessionInfo } from '../../core/sessions.ts'
import type { LinkedProvider } from '../../core/users/account-hooks.ts'
import type { AuditEvent, User } from '../../stores/contracts.ts'
import type { Services } from '../services.ts'
import { AdminTabs } from './admin-nav.tsx'
import { renderErrorPage } from './error.tsx'
import { setFlash } from './flash.ts'
import { formatTime, isoTime, timeAgo } from './format.ts'
import { Email, PostButton } from './forms.tsx'
import { requestContext, requireAdmin, requireCsrf } from './guards.ts'
import { renderPage } from './layout.tsx'

const RECENT_EVENTS = 20

/** GET /admin/users/:id: one user's account, sessions, linked providers and recent audit events. */
export function adminUserPage(pages: Hono, s: Services): void {
  const { auth } = s

  pages.get('/admin/users/:id', requireAdmin, async (c) => {
    const user = await target(c, s)
    if (!user) return renderErrorPage(c, new AuthError('NOT_FOUND'))
    const now = auth.clock()
    const [sessions, providers, audit] = await Promise.all([
      auth.listSessions(user.id),
      s.account.linkedProviders(user.id),
      auth.listAudit({ userId: user.id, offset: 0, limit: RECENT_EVENTS }),
    ])
    const token = csrfToken(c)
    const base = `/admin/users/${encodeURIComponent(user.id)}`
    return renderPage(
      c,
      { title: `Admin · ${user.username}` },
      <>
        <hgroup class="page-heading">
          <h1>{user.username}</h1>
          <p class="muted">
            <a href="/admin">← All users</a>
          </p>
        </hgroup>
        <AdminTabs active="users" />
        <UserAccount user={user} />
        <UserSessions sessions={sessions} now={now} action={`${base}/sessions/revoke`} token={token} />
        <UserProviders providers={providers} />
        <UserEvents user={user} events={audit.events} />
      </>,
    )
  })

  // Ends every browser session and token of the user (API keys stay: they are revoked one by one).
  pages.post('/admin/users/:id/sessions/revoke', requireAdmin, requireCsrf, async (c) => {
    const user = await target(c, s)
    if (!user) return renderErrorPage(c, new AuthError('NOT_FOUND'))
    const n = await auth.sessions.revokeAll(user.id)
    await auth.tokens?.revokeAllForUser(user.id)
    await auth.audit({
      type: 'session.revoke_others',
      userId: user.id,
      actorId: c.get('authenticated')!.user.id,
      data: { count: n },
      ctx: requestContext(c),
    })
    setFlash(
      c,
      'success',
      `${user.username} has been signed out everywhere (${n} session${n === 1 ? '' : 's'}).`,
    )
    return c.redirect(`/admin/users/${encodeURIComponent(user.id)}`, 303)
  })
}

const UserAccount: FC<{ user: User }> = ({ user }) => (
  <article>
    <header class="section-header">
      <h2 class="section-title">Account</h2>
    </header>
    <dl class="details">
      <dt>Name</dt>
      <dd>{user.name ?? <span class="muted">Not set</span>}</dd>
      <dt>Email</dt>
      <dd>
        <Email address={user.email} />{' '}
        {user.emailVerified ? (
          <span class="badge ok">verified</span>
        ) : (
          <span class="badge off">not verified</span>
        )}
      </dd>
      <dt>Status</dt>
      <dd>
        {user.active ? <span class="badge ok">active</span> : <span class="badge off">deactivated</span>}
      </dd>
      <dt>Roles</dt>
      <dd>
        {user.roles.length ? (
          user.roles.map((r) => <span class="badge">{r}</span>)
        ) : (
          <span class="muted">none</span>
        )}
      </dd>
      <dt>Created</dt>
      <dd>{formatTime(user.createdAt)}</dd>
      <dt>Last login</dt>
      <dd>{formatTime(user.lastLoginAt)}</dd>
    </dl>
  </article>
)

const UserSessions: FC<{ sessions: SessionInfo[]; now: number; action: string; token: string }> = ({
  sessions,
  now,
  action,
  token,
}) => (
  <article id="sessions">
    <header class="section-header">
      <h2 class="section-title">Sessions ({sessions.length})</h2>
      {sessions.length > 0 ? (
        <PostButton action={action} token={token} class="secondary outline small">
          End all sessions
        </PostButton>
      ) : null}
    </header>
    {sessions.length === 0 ? (
      <p class="muted">No active session.</p>
    ) : (
      <div class="table-wrap">
        <table class="striped stack">
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">IP address</th>
              <th scope="col">Last seen</th>
              <th scope="col">Signed in</th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((x) => (
              <tr>
                <td data-label="Device">{x.device}</td>
                <td data-label="IP address">{x.ip ?? <span class="muted">unknown</span>}</td>
                <td data-label="Last seen">
                  <time datetime={isoTime(x.lastSeenAt)}>{timeAgo(x.lastSeenAt, now)}</time>
                </td>
                <td data-label="Signed in">{formatTime(x.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )}
  </article>
)

const UserProviders: FC<{ providers: LinkedProvider[] }> = ({ providers }) => (
  <article id="providers">
    <header>
      <h2 class="section-title">Linked sign-in providers</h2>
    </header>
    {providers.length === 0 ? (
      <p class="muted">None</p>
    ) : (
      <ul>
        {providers.map((p) => (
          <li>
            <strong>{p.provider}</strong> {p.email ? <Email address={p.email} /> : null}{' '}
            <span class="muted">since {formatTime(Date.parse(p.linked_at))}</span>
          </li>
        ))}
      </ul>
    )}
  </article>
)

const UserEvents: FC<{ user: User; events: AuditEvent[] }> = ({ user, events }) => (
  <article id="events">
    <header class="section-header">
      <h2 class="section-title">Recent events</h2>
      <a href={`/admin/audit?user=${encodeURIComponent(user.id)}`}>All events of {user.username}</a>
    </header>
    {events.length === 0 ? (
      <p class="muted">No events.</p>
    ) : (
      <ul class="event-list">
        {events.map((e) => (
          <li>
            <time datetime={isoTime(e.at)}>{formatTime(e.at)}</time> <span class="badge">{e.type}</span>
            {e.reason ? <code>{e.reason}</code> : null} {e.ip ? <span class="muted">from {e.ip}</span> : null}
          </li>
        ))}
      </ul>
    )}
  </article>
)

function target(c: Context, s: Services) {
  const id = c.req.param('id') ?? ''
  return id.length > 0 && id.length <= 64 ? s.auth.users.getUser(id) : Promise.resolve(null)
}
