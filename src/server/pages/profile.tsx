import type { Context, Hono } from 'hono'
import { csrfToken } from '../../adapters/hono.ts'
import { AuthError } from '../../core/errors.ts'
import type { Services } from '../services.ts'
import { ApiKeysSection, type ApiKeysView, apiKeyPages, keysOf } from './api-keys.tsx'
import { renderErrorPage } from './error.tsx'
import { setFlash } from './flash.ts'
import { type FormProblem, isFormError, problemFrom } from './form-problem.ts'
import { formatTime, isoTime, timeAgo } from './format.ts'
import { CsrfField, Field, FormAlert, PostButton, readForm, str } from './forms.tsx'
import { requestContext, requireCsrf, requireLogin } from './guards.ts'
import { currentUser, renderPage } from './layout.tsx'

export function profilePages(pages: Hono, s: Services): void {
  const { auth, config } = s

  /** The profile page; `password` is the password form's problem, `apiKeys` the API-key section's state. */
  const profilePage = async (
    c: Context,
    state: { password?: FormProblem; apiKeys?: ApiKeysView } = {},
  ): Promise<Response> => {
    const problem = state.password
    const keyProblem = state.apiKeys?.problem
    const user = currentUser(c)!
    const currentId = c.get('session')?.id ?? null
    const now = auth.clock()
    const sessions = (await auth.listSessions(user.id)).sort(
      (a, b) => Number(b.id === currentId) - Number(a.id === currentId) || b.lastSeenAt - a.lastSeenAt,
    )
    const keys = await keysOf(s, user.id)
    const token = csrfToken(c)
    const f = problem?.fields ?? {}
    const showVerify = config.emailVerification !== 'off'
    return renderPage(
      c,
      {
        title: 'Profile',
        status: problem?.status ?? keyProblem?.status ?? 200,
        headers: { ...(keyProblem?.headers ?? {}), ...(problem?.headers ?? {}) },
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
          <article>
            <header>
              <h2 class="section-title">Account details</h2>
            </header>
            <dl class="details">
              <dt>Name</dt>
              <dd>{user.name ?? <span class="muted">Not set</span>}</dd>
              <dt>Username</dt>
              <dd>{user.username}</dd>
              <dt>Email</dt>
              <dd>
                {user.email}{' '}
                {showVerify ? (
                  user.emailVerified ? (
                    <span class="badge ok">verified</span>
                  ) : (
                    <span class="badge off">not verified</span>
                  )
                ) : null}
              </dd>
              <dt>Roles</dt>
              <dd>
                {user.roles.map((r) => (
                  <span class={`badge ${r === 'admin' ? 'admin' : ''}`}>{r}</span>
                ))}
              </dd>
              <dt>Member since</dt>
              <dd>{formatTime(user.createdAt)}</dd>
              <dt>Last login</dt>
              <dd>{formatTime(user.lastLoginAt)}</dd>
            </dl>
            {showVerify && !user.emailVerified ? (
              <form method="post" action="/profile/verify-email">
                <CsrfField token={token} />
                <button type="submit" class="secondary outline small">
                  Send a new confirmation link
                </button>
              </form>
            ) : null}
          </article>

          <article id="password">
            <header>
              <h2 class="section-title">Change password</h2>
            </header>
            <form method="post" action="/profile/password" novalidate>
              <CsrfField token={token} />
              <FormAlert message={problem?.message} />
              <Field
                idPrefix="pw"
                name="current_password"
                label="Current password"
                type="password"
                autocomplete="current-password"
                required
                error={f.current_password}
              />
              <Field
                idPrefix="pw"
                name="new_password"
                label="New password"
                type="password"
                autocomplete="new-password"
                required
                error={f.new_password}
                hint={`At least ${auth.options.password.minLength} characters.`}
              />
              <Field
                idPrefix="pw"
                name="confirm_password"
                label="Confirm new password"
                type="password"
                autocomplete="new-password"
                required
                error={f.confirm_password}
              />
              <button type="submit">Change password</button>
              <small class="muted block">Your other devices will be signed out.</small>
            </form>
          </article>
        </div>

        <article id="sessions">
          <header class="section-header">
            <h2 class="section-title">Active sessions</h2>
            {sessions.length > 1 && currentId ? (
              <form method="post" action="/profile/sessions/revoke-others">
                <CsrfField token={token} />
                <button type="submit" class="secondary outline small">
                  Sign out all other sessions
                </button>
              </form>
            ) : null}
          </header>
          <div class="table-wrap">
            <table class="striped">
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">IP address</th>
                  <th scope="col">Last seen</th>
                  <th scope="col">Signed in</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {sessions.map((x) => (
                  <tr data-session={x.id}>
                    <td>
                      {x.device}
                      {x.id === currentId ? <span class="badge current">this device</span> : null}
                      {x.remember ? <span class="badge">remembered</span> : null}
                    </td>
                    <td>{x.ip ?? <span class="muted">unknown</span>}</td>
                    <td>
                      <time datetime={isoTime(x.lastSeenAt)} title={formatTime(x.lastSeenAt)}>
                        {timeAgo(x.lastSeenAt, now)}
                      </time>
                    </td>
                    <td>{formatTime(x.createdAt)}</td>
                    <td class="cell-actions">
                      <PostButton
                        action={`/profile/sessions/${encodeURIComponent(x.id)}/revoke`}
                        token={token}
                      >
                        {x.id === currentId ? 'Sign out' : 'Revoke'}
                      </PostButton>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </article>

        <article id="providers">
          <header>
            <h2 class="section-title">Linked sign-in providers</h2>
          </header>
          <p class="muted">None</p>
        </article>

        {keys ? <ApiKeysSection keys={keys} token={token} now={now} view={state.apiKeys} /> : null}
      </>,
    )
  }

  pages.get('/profile', requireLogin, (c) => profilePage(c))

  apiKeyPages(pages, s, (c, view) => profilePage(c, { apiKeys: view }))

  pages.post('/profile/password', requireLogin, requireCsrf, async (c) => {
    const form = await readForm(c)
    const newPassword = str(form, 'new_password')
    if (newPassword !== str(form, 'confirm_password')) {
      return profilePage(c, {
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
    } catch (error) {
      if (isFormError(error)) return profilePage(c, { password: problemFrom(error) })
      throw error
    }
    for (const cookie of cookies) c.header('set-cookie', cookie, { append: true })
    setFlash(c, 'success', 'Your password has been changed. Your other sessions have been signed out.')
    return c.redirect('/profile', 303)
  })

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

  pages.post('/profile/verify-email', requireLogin, requireCsrf, async (c) => {
    const user = currentUser(c)!
    if (config.emailVerification === 'off' || user.emailVerified) return c.redirect('/profile', 303)
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
