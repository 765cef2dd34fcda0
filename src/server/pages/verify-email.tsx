import type { Context, Hono } from 'hono'
import { csrfToken } from '../../adapters/hono.ts'
import { AuthError } from '../../core/errors.ts'
import { lifetimeInWords } from '../../core/mail/lifetime.ts'
import { RECOVERY_DEFAULTS } from '../../core/options.ts'
import type { Services } from '../services.ts'
import { CsrfField, Hidden, readForm, str } from './forms.tsx'
import { noReferrer, requestContext, requireCsrf } from './guards.ts'
import { Card, currentUser, renderPage } from './layout.tsx'

// The server builds AccountRecovery with its defaults (app.ts), so the pages quote those.
const VERIFY_LIFETIME = lifetimeInWords(RECOVERY_DEFAULTS.verifyTtl)

function invalidConfirmation(c: Context): Response | Promise<Response> {
  return renderPage(
    c,
    { title: 'Invalid link', card: true, status: 400 },
    <Card title="This confirmation link is invalid or has expired">
      <p>
        Confirmation links work once and expire after {VERIFY_LIFETIME}. Log in and send a new one from your
        profile.
      </p>
      <a href={currentUser(c) ? '/profile' : '/login'} class="button">
        {currentUser(c) ? 'Go to your profile' : 'Log in'}
      </a>
    </Card>,
  )
}

/** GET and POST /verify-email: the link of the confirmation mail. */
export function verifyEmailPages(pages: Hono, s: Services): void {
  const { recovery } = s

  pages.use('/verify-email', noReferrer)

  // Opening the link only shows a button: no state changes on GET (link scanners open links too).
  pages.get('/verify-email', async (c) => {
    const token = c.req.query('token') ?? ''
    if ((await recovery.tokens.peek('email-verify', token)) === null) return invalidConfirmation(c)
    return renderPage(
      c,
      { title: 'Confirm your email', card: true },
      <Card title="Confirm your email address">
        <form method="post" action="/verify-email">
          <CsrfField token={csrfToken(c)} />
          <Hidden name="token" value={token} />
          <button type="submit">Confirm my email</button>
        </form>
      </Card>,
    )
  })

  pages.post('/verify-email', requireCsrf, async (c) => {
    const form = await readForm(c)
    try {
      await recovery.verifyEmail(str(form, 'token'), requestContext(c))
    } catch (error) {
      if (!(error instanceof AuthError) || error.status >= 500) throw error
      return invalidConfirmation(c)
    }
    const user = currentUser(c)
    return renderPage(
      c,
      { title: 'Email confirmed', card: true },
      <Card title="Your email is confirmed">
        <p>Thank you. Your email address is now verified.</p>
        <a href={user ? '/dashboard' : '/login'} class="button">
          {user ? 'Go to your dashboard' : 'Log in'}
        </a>
      </Card>,
    )
  })
}
