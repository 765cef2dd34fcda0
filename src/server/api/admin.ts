import type { Hono } from 'hono'
import { jsonBody, roleRequired } from '../../adapters/hono.ts'
import { ADMIN_ROLE } from '../../core/auth.ts'
import { field } from '../../core/body.ts'
import { toPublicUser } from '../../core/users.ts'
import type { Services } from '../services.ts'
import { idParam, intParam } from './params.ts'

/** User administration (role admin): list, create, change access, delete. */
export function adminRoutes(api: Hono, s: Services): void {
  const { auth } = s

  api.get('/admin/users', roleRequired('admin'), async (c) => {
    const page = intParam(c.req.query('page'), 1, 1, 1_000_000, 'page')
    const perPage = intParam(c.req.query('per_page'), 20, 1, 100, 'per_page')
    const q = (c.req.query('q') ?? '').replaceAll('\0', '').slice(0, 200)
    const { users, total } = await auth.users.listUsers({
      q,
      offset: (page - 1) * perPage,
      limit: perPage,
    })
    return c.json({ users: users.map(toPublicUser), total, page, per_page: perPage })
  })

  // Admin mutations: the role check above ran before the body arrived, so the core checks
  // the caller again, in the same atomic store step as the write (actorRole: still an admin).
  const asAdmin = { actorRole: ADMIN_ROLE }

  api.post('/admin/users', roleRequired(ADMIN_ROLE), async (c) => {
    const body = await jsonBody(c)
    // Validated by the core (roles: known role names), like every other field.
    const user = await auth.createUser(
      {
        email: field(body, 'email'),
        username: field(body, 'username'),
        password: field(body, 'password'),
        name: field(body, 'name') || null,
        ...(body.roles !== undefined ? { roles: body.roles as string[] } : {}),
      },
      { actor: c.get('user'), ...asAdmin, ctx: c.get('gatehouseContext') },
    )
    return c.json({ user: toPublicUser(user) }, 201)
  })

  api.patch('/admin/users/:id', roleRequired(ADMIN_ROLE), async (c) => {
    const body = await jsonBody(c)
    const id = idParam(c.req.param('id'))
    // The core validates roles and active, then makes one atomic write of roles and active together: all of it or nothing.
    const user = await auth.updateAccess(
      id,
      {
        ...(body.roles !== undefined ? { roles: body.roles as string[] } : {}),
        ...(body.active !== undefined ? { active: body.active as boolean } : {}),
      },
      c.get('user'),
      c.get('gatehouseContext'),
      asAdmin,
    )
    return c.json({ user: toPublicUser(user) })
  })

  api.delete('/admin/users/:id', roleRequired(ADMIN_ROLE), async (c) => {
    await auth.deleteUser(idParam(c.req.param('id')), c.get('user')!, c.get('gatehouseContext'), asAdmin)
    return c.body(null, 204)
  })
}
