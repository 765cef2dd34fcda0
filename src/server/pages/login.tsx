import type { Context, Hono } from 'hono'
import { csrfToken, logout } from '../../adapters/hono.ts'
import { AuthError } from '../../core/errors.ts'
import { passwordProof } from '../../core/methods/password/password-method.ts'
import { safeRedirect } from '../../core/protect/redirect.ts'
import { ThrottledError } from '../../core/protect/throttle.ts'
import type { User } from '../../stores/contracts.ts'
import type { Services } from '../services.ts'
import { signInWithSession } from '../sign-in.ts'
import { setFlash } from './flash.ts'
import { type FormProblem, isFormError, problemFrom } from './form-problem.ts'
import { CsrfField, echo, Field, FormAlert, PostButton, readForm, str } from './forms.tsx'
import { requestContext, requireCsrf } from './guards.ts'
import { Card, currentUser, displayName, renderPage } from './layout.tsx'
import { ProviderButtons } from './providers.tsx'

function LoginForm(props: {
  token: string
  login: string
  next: string
  remember: boolean
  rememberDays: number
  problem?: FormProblem | undefined
  notice?: string | undefined
}) {
  const action = props.next ? `/login?next=${encodeURIComponent(props.next)}` : '/login'
  return (
    <form method="post" action={action} novalidate>
      <CsrfField token={props.token} />
      <FormAlert message={props.notice} type="info" />
      <FormAlert message={props.problem?.message} />
      <Field
        name="login"
        label="Username or email"
        autocomplete="username"
        required
        autofocus={!props.problem?.fields?.password || !!props.problem?.fields?.login}
        value={props.login}
        error={props.problem?.fields?.login}
      />
      <Field
        name="password"
        label="Password"
        type="password"
        autocomplete="current-password"
        required
        autofocus={!!props.problem?.fields?.password && !props.problem?.fields?.login}
        error={props.problem?.fields?.password}
      />
      <div class="form-row">
        <label for="f-remember">
          <input id="f-remember" type="checkbox" name="remember" value="1" checked={props.remember} />
          Remember me for {props.rememberDays} days
        </label>
        <a href="/forgot-password">Forgot password?</a>
      </div>
      <button type="submit">Log in</button>
    </form>
  )
}

/**
 * Shown when the account's budget (not the IP's) refused a login from this browser: the
 * owner can get a one-time link by mail that makes this browser a known device. Shown alike
 * for names that have no account, so it tells nothing about which accounts exist.
 */
function UnlockOffer(props: { token: string; login: string }) {
  return (
    <div class="unlock-offer" data-unlock-offer>
      <p class="muted">
        Sign-ins to this account from new devices are paused after too many failed attempts. If it is your
        account, we can email you a link that lets this browser sign in.
      </p>
      <PostButton
        action="/login/unlock"
        token={props.token}
        hidden={{ login: props.login }}
        class="secondary"
      >
        Email me a sign-in link for this device
      </PostButton>
    </div>
  )
}

/** The login page; the new-device unlock pages show it too, for a bad unlock request. */
export function loginPage(
  c: Context,
  s: Services,
  state: {
    login: string
    remember: boolean
    problem?: FormProblem
    notice?: string
    unlockOffer?: boolean
  },
): Response | Promise<Response> {
  const { auth } = s
  const token = csrfToken(c)
  const next = safeRedirect(c.req.query('next'), '')
  return renderPage(
    c,
    {
      title: 'Log in',
      card: true,
      status: state.problem?.status ?? 200,
      headers: state.problem?.headers ?? {},
    },
    <Card title="Welcome back" lead="Log in to your account.">
      <LoginForm
        token={token}
        login={state.login}
        next={next}
        remember={state.remember}
        rememberDays={Math.max(1, Math.round(auth.options.session.rememberAbsoluteTimeout / 86400))}
        problem={state.problem}
        notice={state.notice}
      />
      {state.unlockOffer ? <UnlockOffer token={token} login={state.login} /> : null}
      <ProviderButtons auth={auth} next={next} />
      <footer class="card-footer">
        New here? <a href="/signup">Create an account</a>
      </footer>
    </Card>,
  )
}

/** GET and POST /login. */
export function loginPages(pages: Hono, s: Services): void {
  const { auth } = s

  pages.get('/login', (c) =>
    loginPage(c, s, {
      login: '',
      remember: false,
      notice: c.req.query('signed_out') === '1' ? 'You have been logged out.' : undefined,
    }),
  )

  pages.post('/login', requireCsrf, async (c) => {
    const form = await readForm(c)
    const loginValue = str(form, 'login')
    const password = str(form, 'password')
    const remember = str(form, 'remember') !== ''
    const state = { login: echo(loginValue), remember }
    let user: User
    try {
      user = await auth.verifyLogin({ login: loginValue, password }, requestContext(c))
    } catch (error) {
      if (!isFormError(error)) throw error
      // One message for every bad-credentials case (unknown user, wrong password, disabled).
      const problem = problemFrom(error)
      if (error.code === 'INVALID_CREDENTIALS') problem.message = 'Invalid username or password.'
      const unlockOffer = error instanceof ThrottledError && error.scope === 'account'
      return loginPage(c, s, { ...state, problem, unlockOffer })
    }
    try {
      await signInWithSession(c, passwordProof(user), { remember })
    } catch (error) {
      if (!(error instanceof AuthError && error.code === 'EMAIL_NOT_VERIFIED')) throw error
      // A new link, within the per-user hourly limit (every correct-password login would mail one).
      const sent = await s.recovery.resendVerification(user).catch((e: unknown) => {
        if (e instanceof AuthError && (e.code === 'RATE_LIMITED' || e.code === 'MAIL_UNAVAILABLE'))
          return false
        throw e
      })
      return loginPage(c, s, {
        ...state,
        problem: {
          status: 403,
          message: sent
            ? `Please confirm your email address first. We sent a new confirmation link to ${user.email}.`
            : `Please confirm your email address first: open the confirmation link we sent to ${user.email}.`,
        },
      })
    }
    setFlash(c, 'success', `Welcome back, ${displayName(user)}.`)
    return c.redirect(safeRedirect(c.req.query('next'), '/dashboard'), 303)
  })
}

/** GET /logout asks first; POST /logout ends the session. */
export function logoutPages(pages: Hono): void {
  pages.get('/logout', (c) => {
    if (!currentUser(c)) return c.redirect('/login', 302)
    const token = csrfToken(c)
    return renderPage(
      c,
      { title: 'Log out', card: true },
      <Card title="Log out?" lead="You will need your password to log in again on this device.">
        <form method="post" action="/logout">
          <CsrfField token={token} />
          <div class="actions">
            <button type="submit">Log out</button>
            <a href="/dashboard" class="button secondary outline">
              Cancel
            </a>
          </div>
        </form>
      </Card>,
    )
  })

  pages.post('/logout', requireCsrf, async (c) => {
    await logout(c)
    c.header('clear-site-data', '"cookies", "storage"')
    // A flash cookie would be wiped by Clear-Site-Data, so the message travels in the URL.
    return c.redirect('/login?signed_out=1', 303)
  })
}
