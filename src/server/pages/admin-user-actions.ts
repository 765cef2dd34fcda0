import type { Context, Hono } from 'hono'
import { ADMIN_ROLE, type Auth } from '../../core/auth.ts'
import { AuthError } from '../../core/errors.ts'
import { safeRedirect } from '../../core/protect/redirect.ts'
import type { User } from '../../stores/contracts.ts'
import type { Services } from '../services.ts'
import { renderErrorPage } from './error.tsx'
import { setFlash } from './flash.ts'
import { readForm, str, strings } from './forms.tsx'
import { requestContext, requireAdmin, requireCsrf } from './guards.ts'
import { currentUser } from './layout.tsx'

// The forms of GET /admin: each POST flashes what happened and goes back to the list it came from.

/** Where an admin form goes back to: a same-origin /admin path only. */
function backTo(raw: string): string {
  const target = safeRedirect(raw, '/admin')
  return target === '/admin' ||
    target.startsWith('/admin?') ||
    /^\/admin\/users\/[A-Za-z0-9_-]{1,64}$/.test(target)
    ? target
    : '/admin'
}

async function findTarget(c: Context, auth: Auth): Promise<User | null> {
  const id = c.req.param('id') ?? ''
  return id.length > 0 && id.length <= 64 ? auth.users.getUser(id) : null
}

// requireAdmin ran before the form arrived: the core checks the admin again, atomically
// with the write (still active, still an admin).
const asAdmin = { actorRole: ADMIN_ROLE }

/** POST /admin/users: creates a user whatever the public sign-up setting. */
export function adminCreateUser(pages: Hono, s: Services): void {
  const { auth } = s

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
}

/** Activate or deactivate, set roles, clear the login throttle of a user. */
export function adminUserActions(pages: Hono, s: Services): void {
  const { auth } = s

  pages.post('/admin/users/:id/toggle-active', requireAdmin, requireCsrf, async (c) => {
    const form = await readForm(c)
    const target = await findTarget(c, auth)
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
    const target = await findTarget(c, auth)
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
    const target = await findTarget(c, auth)
    if (!target) return renderErrorPage(c, new AuthError('NOT_FOUND'))
    await auth.clearThrottle(target.id, currentUser(c), requestContext(c))
    setFlash(
      c,
      'success',
      `Failed-login limits of ${target.username} cleared: they can log in from any device.`,
    )
    return c.redirect(backTo(str(form, 'back')), 303)
  })
}
