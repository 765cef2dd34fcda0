import type { Hono } from 'hono'
import type { FC } from 'hono/jsx'
import { csrfToken } from '../../adapters/hono.ts'
import type { Services } from '../services.ts'
import { CreateUserForm, UserRow } from './admin-forms.tsx'
import { AdminTabs, Pager, pageParam, query } from './admin-nav.tsx'
import { requireAdmin } from './guards.ts'
import { currentUser, renderPage } from './layout.tsx'

const USERS_PER_PAGE = 20
const STATUSES = ['active', 'inactive']
const SORTS = ['created', 'last_login', 'username'] as const
type Sort = (typeof SORTS)[number]

/** Search, role, status and order of the user list (a GET form: the URL is shareable). */
const UserFilters: FC<{ q: string; role: string; status: string; sort: Sort; roleNames: string[] }> = ({
  q,
  role,
  status,
  sort,
  roleNames,
}) => (
  <form method="get" action="/admin" class="search-form" aria-label="Search and filter users">
    <input
      type="search"
      name="q"
      value={q}
      placeholder="Search by email, username or name"
      aria-label="Search users"
      autocomplete="off"
      maxlength={200}
    />
    <select name="role" aria-label="Role">
      <option value="" selected={!role}>
        Any role
      </option>
      {roleNames.map((r) => (
        <option value={r} selected={r === role}>
          {r}
        </option>
      ))}
    </select>
    <select name="status" aria-label="Status">
      <option value="" selected={!status}>
        Any status
      </option>
      <option value="active" selected={status === 'active'}>
        Active
      </option>
      <option value="inactive" selected={status === 'inactive'}>
        Deactivated
      </option>
    </select>
    <select name="sort" aria-label="Sort by">
      <option value="created" selected={sort === 'created'}>
        Oldest first
      </option>
      <option value="last_login" selected={sort === 'last_login'}>
        Last login
      </option>
      <option value="username" selected={sort === 'username'}>
        Username
      </option>
    </select>
    <button type="submit">Search</button>
  </form>
)

/** GET /admin: the users, searched and paged, each with its actions; and a form to create one. */
export function adminUserPages(pages: Hono, s: Services): void {
  const { auth } = s
  const roleNames = Object.keys(auth.options.roles)
  const defaultRoles = auth.options.signup.defaultRoles

  pages.get('/admin', requireAdmin, async (c) => {
    const me = currentUser(c)!
    const q = (c.req.query('q') ?? '').trim().slice(0, 200)
    const page = pageParam(c.req.query('page'))
    // Unknown values read as "any": a hand-edited URL never errors.
    const role = roleNames.includes(c.req.query('role') ?? '') ? c.req.query('role')! : ''
    const status = STATUSES.includes(c.req.query('status') ?? '') ? c.req.query('status')! : ''
    const sort = (SORTS as readonly string[]).includes(c.req.query('sort') ?? '')
      ? (c.req.query('sort') as Sort)
      : 'created'
    const { users, total } = await auth.users.listUsers({
      q,
      ...(role ? { role } : {}),
      ...(status ? { active: status === 'active' } : {}),
      sort,
      offset: (page - 1) * USERS_PER_PAGE,
      limit: USERS_PER_PAGE,
    })
    const filters = { q, role, status, sort: sort === 'created' ? '' : sort }
    const back = `/admin${query({ ...filters, page })}`
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
        <UserFilters q={q} role={role} status={status} sort={sort} roleNames={roleNames} />
        <div class="table-wrap">
          <table class="striped admin-table stack">
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
                    {q || role || status ? 'No users match these filters.' : 'No users yet.'}
                  </td>
                </tr>
              ) : null}
              {users.map((u) => (
                <UserRow user={u} me={me} token={token} back={back} roleNames={roleNames} />
              ))}
            </tbody>
          </table>
        </div>
        <Pager path="/admin" page={page} perPage={USERS_PER_PAGE} total={total} params={filters} />
        <CreateUserForm token={token} back={back} roleNames={roleNames} defaultRoles={defaultRoles} />
      </>,
    )
  })
}
