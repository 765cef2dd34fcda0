import type { Hono } from 'hono'
import { jsonBody } from '../../adapters/hono.ts'
import { field } from '../../core/body.ts'
import { toPublicUser } from '../../core/users.ts'
import type { Services } from '../services.ts'
import { signInAfterSignUp } from '../sign-in.ts'
import { bearerOrSession } from './params.ts'

/** Sign-up, password reset, new-device unlock, email verification and logout-all. */
export function accountRoutes(api: Hono, s: Services): void {
  const { auth, recovery } = s

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
    await recovery.sendVerificationSafely(user)
    // Signing up logs in (a session cookie) when the pipeline's gates allow it now.
    await signInAfterSignUp(c, user)
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

  // A new verification mail for the signed-in user (limited per user per hour); 204 also
  // when the address is already verified or verification is off (nothing is sent then).
  api.post('/auth/resend-verification', bearerOrSession, async (c) => {
    await recovery.resendVerification(c.get('user')!)
    return c.body(null, 204)
  })

  api.post('/auth/logout-all', bearerOrSession, async (c) => {
    const user = c.get('user')!
    await auth.revokeEverything(user.id)
    await auth.audit({ type: 'token.logout_all', userId: user.id, ctx: c.get('gatehouseContext') })
    c.header('set-cookie', auth.clearSessionCookie())
    return c.body(null, 204)
  })
}
