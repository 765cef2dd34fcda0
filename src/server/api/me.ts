import type { Hono } from 'hono'
import { jsonBody, loginRequired } from '../../adapters/hono.ts'
import { field } from '../../core/body.ts'
import { toPublicUser } from '../../core/users.ts'
import type { Services } from '../services.ts'
import { bearerOrSession, idParam } from './params.ts'

/** The caller's own account: who am I, password change, sessions. */
export function meRoutes(api: Hono, s: Services): void {
  const { auth } = s

  api.get('/me', loginRequired(), (c) => c.json({ user: toPublicUser(c.get('user')!) }))

  api.post('/me/password', bearerOrSession, async (c) => {
    const body = await jsonBody(c)
    const rotated = await auth.changePassword(
      c.get('user')!,
      { currentPassword: field(body, 'current_password'), newPassword: field(body, 'new_password') },
      c.get('session'),
      c.get('gatehouseContext'),
    )
    for (const cookie of rotated?.cookies ?? []) c.header('set-cookie', cookie, { append: true })
    return c.body(null, 204)
  })

  api.get('/me/sessions', bearerOrSession, async (c) => {
    const current = c.get('session')?.id
    const sessions = await auth.listSessions(c.get('user')!.id)
    return c.json({
      sessions: sessions.map((x) => ({
        id: x.id,
        device: x.device,
        ip: x.ip,
        created_at: new Date(x.createdAt).toISOString(),
        last_seen_at: new Date(x.lastSeenAt).toISOString(),
        expires_at: new Date(x.expiresAt).toISOString(),
        remember: x.remember,
        current: x.id === current,
      })),
    })
  })

  api.delete('/me/sessions/:id', bearerOrSession, async (c) => {
    await auth.revokeSession(c.get('user')!.id, idParam(c.req.param('id')), c.get('gatehouseContext'))
    return c.body(null, 204)
  })
}
