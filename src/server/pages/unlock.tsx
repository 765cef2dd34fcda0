import type { Context, Hono } from 'hono'
import { csrfToken } from '../../adapters/hono.ts'
import { AuthError } from '../../core/errors.ts'
import { lifetimeInWords } from '../../core/mail/lifetime.ts'
import { DEVICE_UNLOCK_DEFAULTS } from '../../core/options.ts'
import type { Services } from '../services.ts'
import { setFlash } from './flash.ts'
import { problemFrom } from './form-problem.ts'
import { CsrfField, echo, Hidden, readForm, str } from './forms.tsx'
import { noReferrer, requestContext, requireCsrf } from './guards.ts'
import { Card, renderPage } from './layout.tsx'
import { loginPage } from './login.tsx'

// The server builds DeviceUnlock with its defaults (app.ts), so the pages quote those.
const UNLOCK_LIFETIME = lifetimeInWords(DEVICE_UNLOCK_DEFAULTS.ttl)

function invalidUnlockLink(c: Context): Response | Promise<Response> {
  return renderPage(
    c,
    { title: 'Invalid link', card: true, status: 400 },
    <Card title="This link is invalid or has expired">
      <p>Sign-in links for a new device work once and expire after {UNLOCK_LIFETIME}.</p>
      <a href="/login" class="button">
        Back to login
      </a>
    </Card>,
  )
}

/**
 * GET and POST /login/unlock, sign-in from a new device: ask for a one-time link by mail
 * (UnlockOffer on the login page), then open it to make this browser a known device.
 */
export function unlockPages(pages: Hono, s: Services): void {
  pages.use('/login/unlock', noReferrer)

  pages.get('/login/unlock', async (c) => {
    if (c.req.query('sent') === '1') {
      return renderPage(
        c,
        { title: 'Check your email', card: true },
        <Card title="Check your email">
          <p>
            If that is an account, we have sent its address a link that lets this browser sign in. Open it in
            this browser; it works once and expires in {UNLOCK_LIFETIME}.
          </p>
          <a href="/login" class="button secondary">
            Back to login
          </a>
        </Card>,
      )
    }
    // Opening the link only shows a button: no state change on GET (link scanners open links too).
    const token = c.req.query('token') ?? ''
    if (!(await s.unlock.check(token))) return invalidUnlockLink(c)
    return renderPage(
      c,
      { title: 'Sign in from this device', card: true },
      <Card
        title="Sign in from this device"
        lead="Let this browser sign in to your account. You will still need your password."
      >
        <form method="post" action="/login/unlock">
          <CsrfField token={csrfToken(c)} />
          <Hidden name="token" value={token} />
          <button type="submit">Trust this browser</button>
        </form>
      </Card>,
    )
  })

  pages.post('/login/unlock', requireCsrf, async (c) => {
    const form = await readForm(c)
    const token = str(form, 'token')
    if (token) {
      let cookie: string
      try {
        cookie = (await s.unlock.unlock(token, requestContext(c))).cookie
      } catch (error) {
        if (error instanceof AuthError && error.code === 'INVALID_TOKEN') return invalidUnlockLink(c)
        throw error
      }
      c.header('set-cookie', cookie, { append: true })
      setFlash(c, 'success', 'This browser can now sign in to your account. Log in with your password.')
      return c.redirect('/login', 303)
    }
    const loginValue = str(form, 'login')
    try {
      // Answers the same whether or not the account exists (DeviceUnlock); past the per-IP
      // limit the error page says when to try again.
      await s.unlock.request(loginValue, requestContext(c))
    } catch (error) {
      if (error instanceof AuthError && error.code === 'VALIDATION_FAILED')
        return loginPage(c, s, { login: echo(loginValue), remember: false, problem: problemFrom(error) })
      throw error
    }
    return c.redirect('/login/unlock?sent=1', 303)
  })
}
