import type { Context, Hono } from 'hono'
import { AuthError } from '../../core/errors.ts'
import type { PublicApiKey } from '../../core/methods/api-keys/keys.ts'
import type { Services } from '../services.ts'
import { type ApiKeysView, DEFAULT_EXPIRY, EXPIRY, type KeyFormValues } from './api-keys-section.tsx'
import { renderErrorPage } from './error.tsx'
import { setFlash } from './flash.ts'
import { type FormProblem, isFormError, problemFrom } from './form-problem.ts'
import { echo, readForm, str } from './forms.tsx'
import { requestContext, requireCsrf, requireLogin } from './guards.ts'
import { currentUser } from './layout.tsx'
import { stashOnce, takeOnce } from './once.ts'

// The routes of the "API keys" section of /profile (drawn by api-keys-section.tsx).

const KEY_ID = /^[A-Za-z0-9]{1,64}$/

/** "read, write:users  admin" → ["read", "write:users", "admin"]. */
export function parseScopes(text: string): string[] {
  return text.split(/[\s,]+/).filter((x) => x !== '')
}

/** Field errors of the core (name, scopes, expires_in_days / expiresAt) under the form's names. */
function formProblem(error: AuthError): FormProblem {
  const problem = problemFrom(error)
  const fields = { ...(problem.fields ?? {}) }
  if (fields.expiresAt && !fields.expires_in_days) fields.expires_in_days = fields.expiresAt
  delete fields.expiresAt
  return { ...problem, fields }
}

/** The user's keys for the profile page; null when tokens (and so API keys) are off. */
export async function keysOf(s: Services, userId: string): Promise<PublicApiKey[] | null> {
  return s.auth.tokens ? s.auth.apiKeys.list(userId) : null
}

/**
 * GET and POST /profile/api-keys, POST /profile/api-keys/:id/revoke. `render` draws the
 * API keys page with the section in the given state.
 */
export function apiKeyPages(
  pages: Hono,
  s: Services,
  render: (c: Context, view: ApiKeysView) => Response | Promise<Response>,
): void {
  const { auth } = s

  pages.post('/profile/api-keys', requireLogin, requireCsrf, async (c) => {
    if (!auth.tokens) return renderErrorPage(c, new AuthError('NOT_FOUND'))
    const user = currentUser(c)!
    const form = await readForm(c)
    const values: KeyFormValues = {
      name: str(form, 'name'),
      scopes: str(form, 'scopes'),
      expiry: str(form, 'expires_in_days') || 'never',
    }
    const echoed = { name: echo(values.name), scopes: echo(values.scopes, 1024), expiry: values.expiry }
    if (!Object.hasOwn(EXPIRY, values.expiry)) {
      return render(c, {
        values: { ...echoed, expiry: DEFAULT_EXPIRY },
        problem: {
          status: 400,
          message: 'Please correct the highlighted fields.',
          fields: { expires_in_days: 'Choose one of the listed expiry periods.' },
        },
      })
    }
    let created: Awaited<ReturnType<Services['auth']['apiKeys']['create']>>
    try {
      await auth.requireRecentLogin(c.get('authenticated')!, str(form, 'password'), requestContext(c))
      created = await auth.apiKeys.create(user.id, {
        name: values.name,
        scopes: parseScopes(values.scopes),
        expires_in_days: EXPIRY[values.expiry],
      })
    } catch (error) {
      if (isFormError(error)) return render(c, { values: echoed, problem: formProblem(error) })
      throw error
    }
    await auth.audit({
      type: 'apikey.create',
      userId: user.id,
      data: { key: created.record.id },
      ctx: requestContext(c),
    })
    // POST/redirect/GET: the key waits (sealed, five minutes) for the next GET of this session,
    // which shows it once; a reload neither re-posts the form nor shows the key again.
    await stashOnce(c, auth, 'api-key', created)
    return c.redirect('/profile/api-keys#new-key', 303)
  })

  pages.get('/profile/api-keys', requireLogin, async (c) => {
    if (!auth.tokens) return renderErrorPage(c, new AuthError('NOT_FOUND'))
    const created = await takeOnce<NonNullable<ApiKeysView['created']>>(c, auth, 'api-key')
    // The page with a new key is never cached, never kept in the history's cache.
    c.header('cache-control', 'no-store')
    return render(c, created ? { created } : {})
  })

  pages.post('/profile/api-keys/:id/revoke', requireLogin, requireCsrf, async (c) => {
    if (!auth.tokens) return renderErrorPage(c, new AuthError('NOT_FOUND'))
    const user = currentUser(c)!
    const id = c.req.param('id')
    const key = KEY_ID.test(id) ? (await auth.apiKeys.list(user.id)).find((k) => k.id === id) : undefined
    // Someone else's key (or one that is gone) is simply not found.
    if (!key || !(await auth.apiKeys.revoke(user.id, id)))
      return renderErrorPage(c, new AuthError('NOT_FOUND'))
    await auth.audit({ type: 'apikey.revoke', userId: user.id, data: { key: id }, ctx: requestContext(c) })
    setFlash(c, 'success', `The API key “${key.name}” has been revoked. It no longer works.`)
    return c.redirect('/profile/api-keys', 303)
  })
}
