import type { Context, Hono } from 'hono'
import { csrfToken } from '../../adapters/hono.ts'
import { AuthError } from '../../core/errors.ts'
import type { Services } from '../services.ts'
import { accountPages } from './account.tsx'
import { type AccountFormState, ChangeEmailForm, EditProfileForm, YourDataSection } from './account-forms.tsx'
import { apiKeyPages, keysOf } from './api-keys.ts'
import { ApiKeysSection, type ApiKeysView } from './api-keys-section.tsx'
import { renderErrorPage } from './error.tsx'
import { setFlash } from './flash.ts'
import { type FormProblem, isFormError, problemFrom } from './form-problem.ts'
import { readForm, str } from './forms.tsx'
import { requestContext, requireCsrf, requireLogin } from './guards.ts'
import { previousLogin } from './last-login.ts'
import { currentUser, renderPage } from './layout.tsx'
import { AccountDetails, PasswordForm, SessionsSection } from './profile-sections.tsx'
import { oauthOf, ProvidersSection } from './providers.tsx'

/** GET /profile/api-keys (and the key form's answers): the API-key section on a page of its own. */
async function apiKeysPage(c: Context, s: Services, view: ApiKeysView): Promise<Response> {
  const user = currentUser(c)!
  const keys = (await keysOf(s, user.id)) ?? []
  return renderPage(
    c,
    { title: 'API keys', status: view.problem?.status ?? 200, headers: view.problem?.headers ?? {} },
    <>
      <hgroup class="page-heading">
        <h1>API keys</h1>
        <p class="muted">
          <a href="/profile">← Back to your profile</a>
        </p>
      </hgroup>
      <ApiKeysSection keys={keys} token={csrfToken(c)} now={s.auth.clock()} view={view} />
    </>,
  )
}

/** The profile page; `password` is the password form's last failed submission. */
async function profilePage(
  c: Context,
  s: Services,
  state: { password?: FormProblem; account?: AccountFormState; email?: AccountFormState } = {},
): Promise<Response> {
  const { auth } = s
  const problem = state.password ?? state.account?.problem ?? state.email?.problem
  const user = currentUser(c)!
  const currentId = c.get('session')?.id ?? null
  const now = auth.clock()
  const sessions = (await auth.listSessions(user.id)).sort(
    (a, b) => Number(b.id === currentId) - Number(a.id === currentId) || b.lastSeenAt - a.lastSeenAt,
  )
  const keys = await keysOf(s, user.id)
  const linked = (await oauthOf(auth)?.service(auth).list(user.id)) ?? []
  const token = csrfToken(c)
  const showVerify = auth.options.emailVerification !== 'off'
  return renderPage(
    c,
    {
      title: 'Profile',
      status: problem?.status ?? 200,
      headers: problem?.headers ?? {},
    },
    <>
      <hgroup class="page-heading">
        <h1>Your profile</h1>
        <p class="muted">
          Account details, password, the devices signed in to your account
          {keys ? ' and your API keys' : ''}.
        </p>
      </hgroup>

      <div class="profile-grid">
        <AccountDetails
          user={user}
          token={token}
          showVerify={showVerify}
          previous={(await previousLogin(auth, user.id, c.get('session') ?? null))?.at ?? null}
        />
        <PasswordForm
          token={token}
          minLength={auth.options.password.minLength}
          problem={state.password}
          hasPassword={user.passwordHash !== null}
        />
      </div>

      <div class="profile-grid">
        <EditProfileForm user={user} token={token} state={state.account} />
        <ChangeEmailForm user={user} token={token} state={state.email} />
      </div>

      <SessionsSection sessions={sessions} currentId={currentId} token={token} now={now} />

      <ProvidersSection auth={auth} linked={linked} token={token} />

      {keys ? <ApiKeysSection keys={keys} token={token} now={now} /> : null}

      <YourDataSection />
    </>,
  )
}

/** GET /profile, the password form, a new confirmation mail; the API-key routes. */
export function profilePages(pages: Hono, s: Services): void {
  const { auth } = s

  pages.get('/profile', requireLogin, (c) => profilePage(c, s))

  apiKeyPages(pages, s, (c, view) => apiKeysPage(c, s, view))
  accountPages(pages, s, (c, state) => profilePage(c, s, state))

  pages.post('/profile/password', requireLogin, requireCsrf, async (c) => {
    const form = await readForm(c)
    const newPassword = str(form, 'new_password')
    if (newPassword !== str(form, 'confirm_password')) {
      return profilePage(c, s, {
        password: {
          status: 400,
          message: 'Please correct the highlighted fields.',
          fields: { confirm_password: 'The passwords do not match.' },
        },
      })
    }
    let cookies: string[]
    try {
      const rotated = await auth.changePassword(
        currentUser(c)!,
        { currentPassword: str(form, 'current_password'), newPassword },
        c.get('session'),
        requestContext(c),
      )
      cookies = rotated?.cookies ?? []
      // The flash below belongs to the session that replaced this one.
      if (rotated) c.set('session', auth.liveSession(rotated.session))
    } catch (error) {
      if (isFormError(error)) return profilePage(c, s, { password: problemFrom(error) })
      throw error
    }
    for (const cookie of cookies) c.header('set-cookie', cookie, { append: true })
    setFlash(c, 'success', 'Your password has been changed. Your other sessions have been signed out.')
    return c.redirect('/profile', 303)
  })

  pages.post('/profile/verify-email', requireLogin, requireCsrf, async (c) => {
    const user = currentUser(c)!
    if (auth.options.emailVerification === 'off' || user.emailVerified) return c.redirect('/profile', 303)
    try {
      await s.recovery.resendVerification(user)
    } catch (error) {
      if (!(error instanceof AuthError)) throw error
      if (error.code === 'RATE_LIMITED') {
        setFlash(c, 'error', 'Too many confirmation mails. Please wait an hour and try again.')
        return c.redirect('/profile', 303)
      }
      if (error.code !== 'MAIL_UNAVAILABLE') throw error
      setFlash(c, 'error', 'We could not send the mail right now. Please try again later.')
      return c.redirect('/profile', 303)
    }
    setFlash(c, 'success', `We sent a new confirmation link to ${user.email}.`)
    return c.redirect('/profile', 303)
  })
}

/** Signing out other sessions, or one session, from /profile. */
export function sessionPages(pages: Hono, s: Services): void {
  const { auth } = s

  pages.post('/profile/sessions/revoke-others', requireLogin, requireCsrf, async (c) => {
    const current = c.get('session')
    if (!current) return renderErrorPage(c, new AuthError('BAD_REQUEST'))
    const n = await auth.revokeOtherSessions(currentUser(c)!.id, current.id, requestContext(c))
    setFlash(c, 'success', n === 1 ? 'Signed out of 1 other session.' : `Signed out of ${n} other sessions.`)
    return c.redirect('/profile#sessions', 303)
  })

  pages.post('/profile/sessions/:id/revoke', requireLogin, requireCsrf, async (c) => {
    const id = c.req.param('id')
    const user = currentUser(c)!
    if (id.length > 64) return renderErrorPage(c, new AuthError('NOT_FOUND'))
    try {
      await auth.revokeSession(user.id, id, requestContext(c))
    } catch (error) {
      // Someone else's session (or one that is gone) is simply not found.
      if (error instanceof AuthError) return renderErrorPage(c, error)
      throw error
    }
    if (id === c.get('session')?.id) {
      c.header('set-cookie', auth.clearSessionCookie(), { append: true })
      setFlash(c, 'info', 'You have been signed out on this device.')
      return c.redirect('/login', 303)
    }
    setFlash(c, 'success', 'The session has been revoked.')
    return c.redirect('/profile#sessions', 303)
  })
}
