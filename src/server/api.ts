import { Hono } from 'hono'
import { jsonBody, loginRequired, roleRequired } from '../adapters/hono.ts'
import { ADMIN_ROLE } from '../core/auth.ts'
import { field } from '../core/body.ts'
import { AuthError, errorResponse } from '../core/errors.ts'
import { passwordProof } from '../core/methods/password/password-method.ts'
import { toPublicUser } from '../core/users.ts'
import type { Services } from './services.ts'
import { signInWithSession } from './sign-in.ts'
import { tokenRoutes } from './tokens-api.ts'

// API.md: these routes take a bearer token or the session cookie, not an API key.
const bearerOrSession = loginRequired({ via: ['session', 'token'] })

/** The JSON API of API.md that works with the session cookie (tokens add their routes in tokens-api.ts). */
export function apiRoutes(s: Services): Hono {
  const api = new Hono()
  accountRoutes(api, s)
  signedInRoutes(api, s)
  adminUserRoutes(api, s)
  api.route('/', tokenRoutes(s))
  api.all('*', () => errorResponse(new AuthError('NOT_FOUND')))
  return api
}

/** Sign-up, password reset, sign-in from a new device, email verification: no login needed. */
function accountRoutes(api: Hono, s: Services): void {
  const { auth, recovery, config } = s

  api.post('/auth/signup', async (c) => {
    const body = await jsonBody(c)
    const user = await auth.signUp(
      {
        email: field(body, 'email'),
        username: field(body, 'username'),
        password: field(body, 'password'),
        name: field(body, 'name') || null,
      },
      c.get('gatehouseContext'),
    )
    // The account exists now: a failed mail is logged, never a failed sign-up (resend-verification).
    if (config.emailVerification !== 'off') await recovery.sendVerificationSafely(user)
    // Signing up logs in (a session cookie), unless the pipeline's gate wants the address verified first.
    try {
      await signInWithSession(c, passwordProof(user))
    } catch (error) {
      if (!(error instanceof AuthError && error.code === 'EMAIL_NOT_VERIFIED')) throw error
    }
    return c.json({ user: toPublicUser(user) }, 201)
  })

  api.post('/auth/forgot-password', async (c) => {
    const body = await jsonBody(c)
    await recovery.requestPasswordReset(body.email, c.get('gatehouseContext'))
    return c.json(
      { status: 'accepted', message: 'If an account uses this address, a reset link is on its way.' },
      202,
    )
  })

  api.post('/auth/reset-password', async (c) => {
    const body = await jsonBody(c)
    await recovery.resetPassword(body.token, body.password, c.get('gatehouseContext'))
    return c.body(null, 204)
  })

  // "Sign in from a new device" for a throttled account: the same 202 whether or not it exists.
  api.post('/auth/unlock-request', async (c) => {
    const body = await jsonBody(c)
    await s.unlock.request(body.login, c.get('gatehouseContext'))
    return c.json(
      { status: 'accepted', message: 'If this is an account, a sign-in link for this device is on its way.' },
      202,
    )
  })

  // Spends the link and makes this client a known device (the device cookie); it does not log in.
  api.post('/auth/unlock', async (c) => {
    const body = await jsonBody(c)
    const { cookie } = await s.unlock.unlock(body.token, c.get('gatehouseContext'))
    c.header('set-cookie', cookie, { append: true })
    return c.body(null, 204)
  })

  api.post('/auth/verify-email', async (c) => {
    const body = await jsonBody(c)
    await recovery.verifyEmail(body.token, c.get('gatehouseContext'))
    return c.body(null, 204)
  })
}

/** The signed-in user's own account: verification mail, logout everywhere, /me. */
function signedInRoutes(api: Hono, s: Services): void {
  const { auth, recovery, config } = s

  // A new verification mail for the signed-in user (limited per user per hour); 204 also
  // when the address is already verified or verification is off (nothing is sent then).
  api.post('/auth/resend-verification', bearerOrSession, async (c) => {
    if (config.emailVerification !== 'off') await recovery.resendVerification(c.get('user')!)
    return c.body(null, 204)
  })

  api.post('/auth/logout-all', bearerOrSession, async (c) => {
    const user = c.get('user')!
    await auth.revokeEverything(user.id)
    await auth.audit({ type: 'token.logout_all', userId: user.id, ctx: c.get('gatehouseContext') })
    c.header('set-cookie', auth.clearSessionCookie())
    return c.body(null, 204)
  })

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

/** User administration (role admin). */
function adminUserRoutes(api: Hono, s: Services): void {
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
    if (body.roles !== undefined && !Array.isArray(body.roles))
      throw new AuthError('VALIDATION_FAILED', { fields: { roles: 'Must be a list of role names.' } })
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
    if (body.active !== undefined && typeof body.active !== 'boolean') {
      throw new AuthError('VALIDATION_FAILED', { fields: { active: 'Must be true or false.' } })
    }
    if (
      body.roles !== undefined &&
      !(Array.isArray(body.roles) && body.roles.every((r) => typeof r === 'string'))
    ) {
      throw new AuthError('VALIDATION_FAILED', { fields: { roles: 'Must be a list of role names.' } })
    }
    // One validated, atomic write of roles and active together: all of it or nothing.
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

/** Ids we issue are UUIDs or base64url; anything else cannot exist (and never reaches a query). */
function idParam(raw: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw)) throw new AuthError('NOT_FOUND')
  return raw
}

function intParam(raw: string | undefined, fallback: number, min: number, max: number, name: string): number {
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new AuthError('VALIDATION_FAILED', {
      fields: { [name]: `Must be an integer from ${min} to ${max}.` },
    })
  }
  return n
}
