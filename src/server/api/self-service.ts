import type { Hono } from 'hono'
import { jsonBody } from '../../adapters/hono.ts'
import { toPublicUser } from '../../core/users.ts'
import type { Services } from '../services.ts'
import { bearerOrSession } from './params.ts'

/** The caller's own account in the JSON API: edit, change email, delete, export (docs/http-api.md). */
export function selfServiceRoutes(api: Hono, s: Services): void {
  const { account } = s

  api.patch('/me', bearerOrSession, async (c) => {
    const body = await jsonBody(c)
    const user = await account.updateProfile(
      c.get('user')!,
      { name: body.name, username: body.username },
      c.get('gatehouseContext'),
    )
    return c.json({ user: toPublicUser(user) })
  })

  api.post('/me/email', bearerOrSession, async (c) => {
    const body = await jsonBody(c)
    const { email } = await account.requestEmailChange(
      c.get('authenticated')!,
      { email: body.email, password: body.password },
      c.get('gatehouseContext'),
    )
    return c.json({ status: 'confirmation_sent', email }, 202)
  })

  api.post('/me/email/confirm', bearerOrSession, async (c) => {
    const body = await jsonBody(c)
    const user = await account.confirmEmailChange(c.get('user')!, body.token, c.get('gatehouseContext'))
    return c.json({ user: toPublicUser(user) })
  })

  api.delete('/me', bearerOrSession, async (c) => {
    const body = await jsonBody(c)
    await account.deleteAccount(c.get('authenticated')!, { password: body.password })
    return c.body(null, 204)
  })

  // Only ever the caller's own data: no parameter names another user.
  api.get('/me/export', bearerOrSession, async (c) => {
    const user = c.get('user')!
    const data = await account.exportData(user, c.get('gatehouseContext'))
    return c.json(data, 200, {
      'content-disposition': `attachment; filename="account-${user.username}.json"`,
    })
  })
}
