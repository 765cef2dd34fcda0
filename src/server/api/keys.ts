import type { Hono } from 'hono'
import { jsonBody } from '../../adapters/hono.ts'
import { AuthError } from '../../core/errors.ts'
import type { PublicApiKey } from '../../core/methods/api-keys/keys.ts'
import type { Services } from '../services.ts'
import { bearerOrSession } from './params.ts'

/** The caller's API keys: list, mint (a fresh login or the password first), revoke. */
export function apiKeyRoutes(api: Hono, s: Services): void {
  const { auth } = s

  api.get('/keys', bearerOrSession, async (c) => {
    const keys = await auth.apiKeys.list(c.get('user')!.id)
    return c.json({ keys: keys.map(publicKey) })
  })

  api.post('/keys', bearerOrSession, async (c) => {
    const body = await jsonBody(c)
    await auth.requireRecentLogin(c.get('authenticated')!, body.password, c.get('gatehouseContext'))
    const created = await auth.apiKeys.create(c.get('user')!.id, body)
    await auth.audit({
      type: 'apikey.create',
      userId: c.get('user')!.id,
      data: { key: created.record.id },
      ctx: c.get('gatehouseContext'),
    })
    return c.json({ ...publicKey(created.record), key: created.key }, 201)
  })

  api.delete('/keys/:id', bearerOrSession, async (c) => {
    const id = c.req.param('id')
    if (!/^[A-Za-z0-9]{1,64}$/.test(id) || !(await auth.apiKeys.revoke(c.get('user')!.id, id))) {
      throw new AuthError('NOT_FOUND')
    }
    await auth.audit({
      type: 'apikey.revoke',
      userId: c.get('user')!.id,
      data: { key: id },
      ctx: c.get('gatehouseContext'),
    })
    return c.body(null, 204)
  })
}

export function publicKey(k: PublicApiKey) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
  return {
    id: k.id,
    name: k.name,
    scopes: k.scopes,
    created_at: iso(k.createdAt),
    expires_at: iso(k.expiresAt),
    last_used_at: iso(k.lastUsedAt),
  }
}
