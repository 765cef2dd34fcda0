import type { Context, Hono } from 'hono'
import { csrfToken } from '../../adapters/hono.ts'
import { AuthError } from '../../core/errors.ts'
import { lifetimeInWords } from '../../core/mail/lifetime.ts'
import { RECOVERY_DEFAULTS } from '../../core/options.ts'
import type { Services } from '../services.ts'
import { setFlash } from './flash.ts'
import { type FormProblem, isFormError, problemFrom } from './form-problem.ts'
import { CsrfField, echo, Field, FormAlert, Hidden, readForm, str } from './forms.tsx'
import { noReferrer, requestContext, requireCsrf } from './guards.ts'
import { Card, currentUser, renderPage } from './layout.tsx'

// The server builds AccountRecovery with its defaults (app.ts), so the pages quote those.
const RESET_LIFETIME = lifetimeInWords(RECOVERY_DEFAULTS.resetTtl)

// ---------------------------------------------------------------- forgot password

function forgotPage(c: Context, email: string, problem?: FormProblem): Response | Promise<Response> {
  const token = csrfToken(c)
  return renderPage(
    c,
    {
      title: 'Forgot password',
      card: true,
      status: problem?.status ?? 200,
      headers: problem?.headers ?? {},
    },
    <Card
      title="Reset your password"
      lead="Enter the email address of your account and we will send you a link to choose a new password."
    >
      <form method="post" action="/forgot-password" novalidate>
        <CsrfField token={token} />
        <FormAlert message={problem?.message} />
        <Field
          name="email"
          label="Email"
          type="email"
          autocomplete="email"
          required
          autofocus
          value={email}
          error={problem?.fields?.email}
        />
        <button type="submit">Send reset link</button>
      </form>
      <footer class="card-footer">
        Remembered it? <a href="/login">Log in</a>
      </footer>
    </Card>,
  )
}

/** GET and POST /forgot-password: a reset link by mail. */
export function forgotPasswordPages(pages: Hono, s: Services): void {
  const { recovery } = s

  pages.get('/forgot-password', (c) => {
    if (c.req.query('sent') === '1') {
      return renderPage(
        c,
        { title: 'Check your email', card: true },
        <Card title="Check your email">
          <p>
            If an account uses that address, we have sent it a link to choose a new password. The link works
            once and expires in {RESET_LIFETIME}.
          </p>
          <p class="muted">Nothing arrived after a few minutes? Check your spam folder, or try again.</p>
          <div class="actions">
            <a href="/login" class="button secondary">
              Back to login
            </a>
            <a href="/forgot-password">Send another link</a>
          </div>
        </Card>,
      )
    }
    return forgotPage(c, '')
  })

  pages.post('/forgot-password', requireCsrf, async (c) => {
    const form = await readForm(c)
    const email = str(form, 'email')
    try {
      // Answers the same whether or not the address has an account: the lookup and the
      // mail happen after the answer (AccountRecovery).
      await recovery.requestPasswordReset(email, requestContext(c))
    } catch (error) {
      if (isFormError(error)) return forgotPage(c, echo(email), problemFrom(error))
      throw error
    }
    return c.redirect('/forgot-password?sent=1', 303)
  })
}

// ---------------------------------------------------------------- reset password

function invalidLink(c: Context): Response | Promise<Response> {
  return renderPage(
    c,
    { title: 'Invalid link', card: true, status: 400 },
    <Card title="This link is invalid or has expired">
      <p>
        Password reset links work once and expire after {RESET_LIFETIME}. Ask for a new one and use the latest
        mail.
      </p>
      <a href="/forgot-password" class="button">
        Request a new link
      </a>
    </Card>,
  )
}

function resetPage(
  c: Context,
  s: Services,
  resetToken: string,
  problem?: FormProblem,
): Response | Promise<Response> {
  const { auth } = s
  const token = csrfToken(c)
  return renderPage(
    c,
    { title: 'Choose a new password', card: true, status: problem?.status ?? 200 },
    <Card
      title="Choose a new password"
      lead="After this, every device signed in to your account is signed out."
    >
      <form method="post" action="/reset-password" novalidate>
        <CsrfField token={token} />
        <Hidden name="token" value={resetToken} />
        <FormAlert message={problem?.message} />
        <Field
          name="password"
          label="New password"
          type="password"
          autocomplete="new-password"
          required
          autofocus={!problem?.fields?.confirm_password || !!problem?.fields?.password}
          strength
          error={problem?.fields?.password}
          hint={`At least ${auth.options.password.minLength} characters. A long passphrase is best.`}
        />
        <Field
          name="confirm_password"
          label="Confirm new password"
          type="password"
          autocomplete="new-password"
          required
          autofocus={!!problem?.fields?.confirm_password && !problem?.fields?.password}
          error={problem?.fields?.confirm_password}
        />
        <button type="submit">Set new password</button>
      </form>
    </Card>,
  )
}

/** GET and POST /reset-password: the link of the reset mail, then a new password. */
export function resetPasswordPages(pages: Hono, s: Services): void {
  const { auth, recovery } = s

  pages.use('/reset-password', noReferrer)

  pages.get('/reset-password', async (c) => {
    const token = c.req.query('token') ?? ''
    if (!(await recovery.checkResetToken(token))) return invalidLink(c)
    return resetPage(c, s, token)
  })

  pages.post('/reset-password', requireCsrf, async (c) => {
    const form = await readForm(c)
    const token = str(form, 'token')
    const password = str(form, 'password')
    if (!(await recovery.checkResetToken(token))) return invalidLink(c)
    if (password !== str(form, 'confirm_password')) {
      return resetPage(c, s, token, {
        status: 400,
        message: 'Please correct the highlighted fields.',
        fields: { confirm_password: 'The passwords do not match.' },
      })
    }
    try {
      await recovery.resetPassword(token, password, requestContext(c))
    } catch (error) {
      if (error instanceof AuthError && error.code === 'INVALID_TOKEN') return invalidLink(c)
      if (isFormError(error)) return resetPage(c, s, token, problemFrom(error))
      throw error
    }
    // Every session of the user ended; if this browser had one, drop its cookie too. No automatic login.
    if (currentUser(c)) c.header('set-cookie', auth.clearSessionCookie(), { append: true })
    setFlash(c, 'success', 'Your password has been changed. Log in with your new password.')
    return c.redirect('/login', 303)
  })
}
