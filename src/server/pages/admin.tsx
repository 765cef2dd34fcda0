import type { Context, Hono } from 'hono'
import type { FC } from 'hono/jsx'
import { csrfToken } from '../../adapters/hono.ts'
import { AUDIT_TYPES } from '../../core/audit.ts'
import { ADMIN_ROLE } from '../../core/auth.ts'
import { AuthError } from '../../core/errors.ts'
import { safeRedirect } from '../../core/protect/redirect.ts'
import type { AuditEvent, User } from '../../stores/contracts.ts'
import type { Services } from '../services.ts'
import { renderErrorPage } from './error.tsx'
import { setFlash } from './flash.ts'
import { formatTime, isoTime } from './format.ts'
import { CsrfField, Hidden, PostButton, readForm, str, strings } from './forms.tsx'
import { requestContext, requireAdmin, requireCsrf } from './guards.ts'
import { currentUser, renderPage } from './layout.tsx'

const USERS_PER_PAGE = 20
const EVENTS_PER_PAGE = 50

/** A page number from the query; anything odd reads as page 1. */
function pageParam(raw: string | undefined): number {
  const n = Number(raw)
  return Number.isInteger(n) && n >= 1 && n <= 1_000_000 ? n : 1
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '' && v !== 1) q.set(k, String(v))
  // page=1 is the default and is left out; other numbers stay.
  const s = q.toString()
  return s ? `?${s}` : ''
}

/** Where an admin form goes back to: a same-origin /admin path only. */
function backTo(raw: string): string {
  const target = safeRedirect(raw, '/admin')
  return target === '/admin' || target.startsWith('/admin?') ? target : '/admin'
}

const Pager: FC<{
  path: string
  page: number
  perPage: number
  total: number
  params: Record<string, string>
}> = (p) => {
  const pages = Math.max(1, Math.ceil(p.total / p.perPage))
  const first = p.total === 0 ? 0 : (p.page - 1) * p.perPage + 1
  const last = Math.min(p.total, p.page * p.perPage)
  return (
    <nav class="pager" aria-label="Pagination">
      <span class="muted">
        {p.total === 0 ? 'No results' : `Showing ${first}–${last} of ${p.total}`}
        {p.total > 0 && p.page > pages ? ' (past the last page)' : ''}
      </span>
      <div class="actions">
        {p.page > 1 ? (
          <a href={`${p.path}${query({ ...p.params, page: Math.min(p.page - 1, pages) })}`} rel="prev">
            ← Previous
          </a>
        ) : null}
        <span class="muted">
          Page {p.page} of {pages}
        </span>
        {p.page < pages ? (
          <a href={`${p.path}${query({ ...p.params, page: p.page + 1 })}`} rel="next">
            Next →
          </a>
        ) : null}
      </div>
    </nav>
  )
}

const AdminTabs: FC<{ active: 'users' | 'audit' }> = ({ active }) => (
  <nav class="tabs" aria-label="Admin sections">
    <a href="/admin" aria-current={active === 'users' ? 'page' : undefined}>
      Users
    </a>
    <a href="/admin/audit" aria-current={active === 'audit' ? 'page' : undefined}>
      Audit log
    </a>
  </nav>
)

export function adminPages(pages: Hono, s: Services): void {
  const { auth } = s
  const roleNames = Object.keys(auth.options.roles)
  const defaultRoles = auth.options.signup.defaultRoles

  // ---------------------------------------------------------------- users

  pages.get('/admin', requireAdmin, async (c) => {
    const me = currentUser(c)!
    const q = (c.req.query('q') ?? '').trim().slice(0, 200)
    const page = pageParam(c.req.query('page'))
    const { users, total } = await auth.users.listUsers({
      q,
      offset: (page - 1) * USERS_PER_PAGE,
      limit: USERS_PER_PAGE,
    })
    const back = `/admin${query({ q, page })}`
    const token = csrfToken(c)
    return renderPage(
      c,
      { title: 'Admin · Users' },
      <>
        <hgroup class="page-heading">
          <h1>Administration</h1>
          <p class="muted">Manage who can sign in and what they may do.</p>
        </hgroup>
        <AdminTabs active="users" />
        <form method="get" action="/admin" class="search-form">
          <input
            type="search"
            name="q"
            value={q}
            placeholder="Search by email, username or name"
            aria-label="Search users"
            autocomplete="off"
            maxlength={200}
          />
          <button type="submit">Search</button>
        </form>
        <div class="table-wrap">
          <table class="striped admin-table">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Roles</th>
                <th scope="col">Status</th>
                <th scope="col">Last login</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.length === 0 ? (
                <tr>
                  <td colspan={5} class="muted empty">
                    {q ? `No users match “${q}”.` : 'No users yet.'}
                  </td>
                </tr>
              ) : null}
              {users.map((u) => (
                <UserRow user={u} me={me} token={token} back={back} roleNames={roleNames} />
              ))}
            </tbody>
          </table>
        </div>
        <Pager path="/admin" page={page} perPage={USERS_PER_PAGE} total={total} params={{ q }} />
        <CreateUserForm token={token} back={back} roleNames={roleNames} defaultRoles={defaultRoles} />
      </>,
    )
  })

  const findTarget = async (c: Context): Promise<User | null> => {
    const id = c.req.param('id') ?? ''
    return id.length > 0 && id.length <= 64 ? auth.users.getUser(id) : null
  }

  // requireAdmin ran before the form arrived: the core checks the admin again, atomically
  // with the write (still active, still an admin).
  const asAdmin = { actorRole: ADMIN_ROLE }

  pages.post('/admin/users', requireAdmin, requireCsrf, async (c) => {
    const form = await readForm(c)
    try {
      const created = await auth.createUser(
        {
          email: str(form, 'email'),
          username: str(form, 'username'),
          name: str(form, 'name') || null,
          password: str(form, 'password'),
          roles: strings(form, 'roles').slice(0, 64),
        },
        { actor: currentUser(c), ...asAdmin, ctx: requestContext(c) },
      )
      setFlash(
        c,
        'success',
        `Created ${created.username}${created.passwordHash ? '' : ' without a password (they can set one with “Forgot password”)'}.`,
      )
    } catch (error) {
      if (!(error instanceof AuthError) || error.status >= 500) throw error
      const problems = Object.values(error.fields ?? {})
      setFlash(c, 'error', problems.length > 0 ? problems.join(' ') : error.message)
    }
    return c.redirect(backTo(str(form, 'back')), 303)
  })

  pages.post('/admin/users/:id/toggle-active', requireAdmin, requireCsrf, async (c) => {
    const form = await readForm(c)
    const target = await findTarget(c)
    if (!target) return renderErrorPage(c, new AuthError('NOT_FOUND'))
    try {
      const updated = await auth.setActive(
        target.id,
        !target.active,
        currentUser(c),
        requestContext(c),
        asAdmin,
      )
      setFlash(
        c,
        'success',
        updated.active
          ? `${updated.username} can sign in again.`
          : `${updated.username} has been deactivated and signed out everywhere.`,
      )
    } catch (error) {
      if (!(error instanceof AuthError) || error.status >= 500) throw error
      setFlash(c, 'error', error.message)
    }
    return c.redirect(backTo(str(form, 'back')), 303)
  })

  pages.post('/admin/users/:id/roles', requireAdmin, requireCsrf, async (c) => {
    const form = await readForm(c)
    const target = await findTarget(c)
    if (!target) return renderErrorPage(c, new AuthError('NOT_FOUND'))
    const roles = strings(form, 'roles').slice(0, 64)
    try {
      const updated = await auth.setRoles(target.id, roles, currentUser(c), requestContext(c), asAdmin)
      setFlash(
        c,
        'success',
        `Roles of ${updated.username}: ${updated.roles.length ? updated.roles.join(', ') : 'none'}.`,
      )
    } catch (error) {
      if (!(error instanceof AuthError) || error.status >= 500) throw error
      setFlash(c, 'error', error.fields?.roles ?? error.message)
    }
    return c.redirect(backTo(str(form, 'back')), 303)
  })

  // Lets in a user locked out by someone else's failed logins (audited as user.throttle_clear).
  pages.post('/admin/users/:id/clear-throttle', requireAdmin, requireCsrf, async (c) => {
    const form = await readForm(c)
    const target = await findTarget(c)
    if (!target) return renderErrorPage(c, new AuthError('NOT_FOUND'))
    await auth.clearThrottle(target.id, currentUser(c), requestContext(c))
    setFlash(
      c,
      'success',
      `Failed-login limits of ${target.username} cleared: they can log in from any device.`,
    )
    return c.redirect(backTo(str(form, 'back')), 303)
  })

  // ---------------------------------------------------------------- audit log

  pages.get('/admin/audit', requireAdmin, async (c) => {
    const rawType = (c.req.query('type') ?? '').trim()
    const type = /^[a-z_.]{1,64}$/.test(rawType) ? rawType : ''
    const who = (c.req.query('user') ?? '').trim().slice(0, 256)
    const page = pageParam(c.req.query('page'))
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
            offset: (page - 1) * EVENTS_PER_PAGE,
            limit: EVENTS_PER_PAGE,
          })
    const names = new Map<string, string>()
    for (const id of new Set(events.flatMap((e) => [e.userId, e.actorId]).filter((x): x is string => !!x))) {
      const u = await auth.users.getUser(id)
      names.set(id, u ? u.username : 'deleted user')
    }
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
          <div class="filter-actions">
            <button type="submit">Filter</button>
            {type || who ? (
              <a href="/admin/audit" class="secondary">
                Clear
              </a>
            ) : null}
          </div>
        </form>
        {who && !filterUser ? (
          <div class="flash info" role="status">
            No user matches “{who}”.
          </div>
        ) : null}
        <div class="table-wrap">
          <table class="striped audit-table">
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
                <tr data-event={e.type}>
                  <td>
                    <time datetime={isoTime(e.at)}>{formatTime(e.at)}</time>
                  </td>
                  <td>
                    <span class={`badge ${/failure|reuse|deactivate/.test(e.type) ? 'off' : ''}`}>
                      {e.type}
                    </span>
                  </td>
                  <td>{nameOf(e.userId) ?? <span class="muted">—</span>}</td>
                  <td>
                    {e.actorId && e.actorId !== e.userId ? nameOf(e.actorId) : <span class="muted">—</span>}
                  </td>
                  <td>{e.ip ?? <span class="muted">—</span>}</td>
                  <td>{e.reason ? <code>{e.reason}</code> : <span class="muted">—</span>}</td>
                  <td class="details-cell">
                    {e.data ? (
                      <code>{JSON.stringify(e.data).slice(0, 200)}</code>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <Pager
          path="/admin/audit"
          page={page}
          perPage={EVENTS_PER_PAGE}
          total={total}
          params={{ type, user: who }}
        />
      </>,
    )
  })
}

/** Creates a user whatever the public sign-up setting; the password may be left empty. */
const CreateUserForm: FC<{ token: string; back: string; roleNames: string[]; defaultRoles: string[] }> = (
  p,
) => (
  <details class="create-user">
    <summary class="button secondary outline">Create user</summary>
    <form method="post" action="/admin/users" aria-label="Create user">
      <CsrfField token={p.token} />
      <Hidden name="back" value={p.back} />
      <label for="new-email">
        Email
        <input id="new-email" type="email" name="email" required autocomplete="off" maxlength={254} />
      </label>
      <label for="new-username">
        Username
        <input id="new-username" type="text" name="username" required autocomplete="off" maxlength={64} />
      </label>
      <label for="new-name">
        Name <small class="muted">(optional)</small>
        <input id="new-name" type="text" name="name" autocomplete="off" maxlength={100} />
      </label>
      <label for="new-password">
        Password <small class="muted">(optional: without one, the user sets it with “Forgot password”)</small>
        <input id="new-password" type="password" name="password" autocomplete="new-password" />
      </label>
      <fieldset>
        <legend>Roles</legend>
        {p.roleNames.map((r) => (
          <label>
            <input type="checkbox" name="roles" value={r} checked={p.defaultRoles.includes(r)} />
            {r}
          </label>
        ))}
      </fieldset>
      <button type="submit">Create user</button>
    </form>
  </details>
)

const UserRow: FC<{ user: User; me: User; token: string; back: string; roleNames: string[] }> = ({
  user,
  me,
  token,
  back,
  roleNames,
}) => {
  const self = user.id === me.id
  const base = `/admin/users/${encodeURIComponent(user.id)}`
  return (
    <tr data-user={user.username}>
      <td>
        <strong>{user.username}</strong>
        {self ? <span class="badge current">you</span> : null}
        <br />
        <small class="muted">
          {user.name ? `${user.name} · ` : ''}
          {user.email}
        </small>
      </td>
      <td>
        {user.roles.length === 0 ? <span class="muted">none</span> : null}
        {user.roles.map((r) => (
          <span class={`badge ${r === 'admin' ? 'admin' : ''}`}>{r}</span>
        ))}
      </td>
      <td>
        {user.active ? <span class="badge ok">active</span> : <span class="badge off">deactivated</span>}
      </td>
      <td>{formatTime(user.lastLoginAt)}</td>
      <td class="cell-actions">
        <div class="row-actions">
          <PostButton
            action={`${base}/toggle-active`}
            token={token}
            hidden={{ back }}
            class={`small ${user.active ? 'secondary outline' : ''}`}
            label={`${user.active ? 'Deactivate' : 'Activate'} ${user.username}`}
          >
            {user.active ? 'Deactivate' : 'Activate'}
          </PostButton>
          <PostButton
            action={`${base}/clear-throttle`}
            token={token}
            hidden={{ back }}
            class="small secondary outline"
            label={`Clear the login throttle of ${user.username}`}
          >
            Clear login throttle
          </PostButton>
          <details class="role-editor">
            <summary class="button secondary outline small">Roles</summary>
            <form method="post" action={`${base}/roles`}>
              <CsrfField token={token} />
              <Hidden name="back" value={back} />
              <fieldset>
                <legend class="visually-hidden">Roles of {user.username}</legend>
                {roleNames.map((r) => (
                  <label>
                    <input type="checkbox" name="roles" value={r} checked={user.roles.includes(r)} />
                    {r}
                  </label>
                ))}
              </fieldset>
              <button type="submit" class="small" aria-label={`Save roles of ${user.username}`}>
                Save roles
              </button>
            </form>
          </details>
        </div>
      </td>
    </tr>
  )
}
