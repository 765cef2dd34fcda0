import type { Hono } from 'hono'
import { csrfToken } from '../../adapters/hono.ts'
import type { Services } from '../services.ts'
import { CreateUserForm, UserRow } from './admin-forms.tsx'
import { AdminTabs, Pager, pageParam, query } from './admin-nav.tsx'
import { requireAdmin } from './guards.ts'
import { currentUser, renderPage } from './layout.tsx'

const USERS_PER_PAGE = 20

/** GET /admin: the users, searched and paged, each with its actions; and a form to create one. */
export function adminUserPages(pages: Hono, s: Services): void {
  const { auth } = s
  const roleNames = Object.keys(auth.options.roles)
  const defaultRoles = auth.options.signup.defaultRoles

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
}
