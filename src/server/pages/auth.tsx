import type { Context, Hono } from 'hono'
import { csrfToken, logout } from '../../adapters/hono.ts'
import { AuthError } from '../../core/errors.ts'
import { lifetimeInWords } from '../../core/mail/lifetime.ts'
import { passwordProof } from '../../core/methods/password/password-method.ts'
import { DEVICE_UNLOCK_DEFAULTS, RECOVERY_DEFAULTS } from '../../core/options.ts'
import { safeRedirect } from '../../core/protect/redirect.ts'
import { ThrottledError } from '../../core/protect/throttle.ts'
import type { User } from '../../stores/contracts.ts'
import type { Services } from '../services.ts'
import { signInWithSession } from '../sign-in.ts'
import { setFlash } from './flash.ts'
import { formatTime, withRetryHint } from './format.ts'
import {
  CsrfField,
  echo,
  Field,
  type FieldErrors,
  FormAlert,
  Hidden,
  PostButton,
  readForm,
  str,
} from './forms.tsx'
import { noReferrer, requestContext, requireCsrf, requireLogin } from './guards.ts'
import { appName, Card, currentUser, isAdmin, renderPage } from './layout.tsx'

export function displayName(user: User): string {
  return user.name?.trim() || user.username
}

/** A failed form submission: the status of the error, field errors, a message, Retry-After. */
export interface FormProblem {
  status: number
  message?: string | undefined
  fields?: FieldErrors | undefined
  headers?: Record<string, string>
}

/** Errors a form shows next to its fields: 4xx, and 503 (busy, with Retry-After). Others are page errors. */
export function isFormError(error: unknown): error is AuthError {
  return error instanceof AuthError && (error.status < 500 || error.status === 503)
}

export function problemFrom(error: AuthError): FormProblem {
  const headers: Record<string, string> = {}
  if (error.retryAfter !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfter)))
  const hasFields = error.fields && Object.keys(error.fields).length > 0
  // A refused attempt says when to come back (from Retry-After).
  const text =
    error.status === 429 && error.retryAfter !== undefined
      ? withRetryHint(error.message, error.retryAfter)
      : error.message
  return {
    status: error.status,
    // With field errors, the summary says to look at the fields; otherwise the error's own words.
    message: hasFields ? 'Please correct the highlighted fields.' : text,
    fields: error.fields,
    headers,
  }
}

// ------------------------------------------------------------------ views

function SignupForm(props: {
  token: string
  values: Record<string, string>
  problem?: FormProblem | undefined
  minLength: number
}) {
  const f = props.problem?.fields ?? {}
  return (
    <form method="post" action="/signup" novalidate>
      <CsrfField token={props.token} />
      <FormAlert message={props.problem?.message} />
      <Field
        name="email"
        label="Email"
        type="email"
        autocomplete="email"
        required
        autofocus
        value={props.values.email}
        error={f.email}
      />
      <Field
        name="username"
        label="Username"
        autocomplete="username"
        required
        value={props.values.username}
        error={f.username}
        hint="3–32 letters, digits or underscores."
      />
      <Field
        name="name"
        label="Full name"
        autocomplete="name"
        optional
        value={props.values.name}
        error={f.name}
      />
      <Field
        name="password"
        label="Password"
        type="password"
        autocomplete="new-password"
        required
        error={f.password}
        hint={`At least ${props.minLength} characters. A long passphrase is best.`}
      />
      <Field
        name="confirm_password"
        label="Confirm password"
        type="password"
        autocomplete="new-password"
        required
        error={f.confirm_password}
      />
      <button type="submit">Create account</button>
    </form>
  )
}

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
        autofocus
        value={props.login}
        error={props.problem?.fields?.login}
      />
      <Field
        name="password"
        label="Password"
        type="password"
        autocomplete="current-password"
        required
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

// ------------------------------------------------------------------ routes

// The server builds DeviceUnlock with its defaults (app.ts), so the pages quote those.
const UNLOCK_LIFETIME = lifetimeInWords(DEVICE_UNLOCK_DEFAULTS.ttl)

export function authPages(pages: Hono, s: Services): void {
  const { auth, config } = s

  pages.get('/', (c) => {
    const user = currentUser(c)
    const app = appName(c)
    return renderPage(
      c,
      { title: 'Secure sign-in' },
      <>
        <section class="hero">
          <h1>Sign-in that keeps the wrong people out.</h1>
          <p class="lead">
            {app} gives your apps accounts, sessions, roles and password recovery — with the safe defaults
            already switched on.
          </p>
          <div class="actions">
            {user ? (
              <a href="/dashboard" class="button">
                Go to your dashboard
              </a>
            ) : (
              <>
                <a href="/signup" class="button">
                  Create an account
                </a>
                <a href="/login" class="button secondary outline">
                  Log in
                </a>
              </>
            )}
          </div>
        </section>
        <section class="feature-grid">
          <article>
            <h3>Strong passwords</h3>
            <p class="muted">Argon2id hashing, common passwords refused, no silly rules.</p>
          </article>
          <article>
            <h3>Sessions you control</h3>
            <p class="muted">See every device signed in to your account and end any of them.</p>
          </article>
          <article>
            <h3>Safe recovery</h3>
            <p class="muted">Single-use reset links that expire in an hour and sign out every device.</p>
          </article>
        </section>
      </>,
    )
  })

  // ---------------------------------------------------------------- sign-up

  const signupPage = (
    c: Context,
    values: Record<string, string>,
    problem?: FormProblem,
  ): Response | Promise<Response> => {
    if (!auth.options.signup.enabled) {
      return renderPage(
        c,
        { title: 'Sign up', card: true, status: 403 },
        <Card title="Sign-up is closed" lead="New accounts are created by an administrator.">
          <a href="/login">Log in instead</a>
        </Card>,
      )
    }
    const token = csrfToken(c)
    return renderPage(
      c,
      { title: 'Sign up', card: true, status: problem?.status ?? 200, headers: problem?.headers ?? {} },
      <Card title="Create your account" lead={`Join ${appName(c)} in a minute.`}>
        <SignupForm
          token={token}
          values={values}
          problem={problem}
          minLength={auth.options.password.minLength}
        />
        <footer class="card-footer">
          Already have an account? <a href="/login">Log in</a>
        </footer>
      </Card>,
    )
  }

  pages.get('/signup', (c) => signupPage(c, { email: '', username: '', name: '' }))

  pages.post('/signup', requireCsrf, async (c) => {
    const form = await readForm(c)
    const email = str(form, 'email')
    const username = str(form, 'username')
    const name = str(form, 'name')
    const password = str(form, 'password')
    const values = { email: echo(email), username: echo(username), name: echo(name) }
    if (password !== str(form, 'confirm_password')) {
      return signupPage(c, values, {
        status: 400,
        message: 'Please correct the highlighted fields.',
        fields: { confirm_password: 'The passwords do not match.' },
      })
    }
    let user: User
    try {
      user = await auth.signUp({ email, username, name: name || null, password }, requestContext(c))
    } catch (error) {
      if (isFormError(error)) return signupPage(c, values, problemFrom(error))
      throw error
    }
    if (config.emailVerification !== 'off') await s.recovery.sendVerificationSafely(user)
    try {
      await signInWithSession(c, passwordProof(user))
    } catch (error) {
      if (!(error instanceof AuthError && error.code === 'EMAIL_NOT_VERIFIED')) throw error
      return renderPage(
        c,
        { title: 'Check your email', card: true },
        <Card title="Check your email">
          <p>
            We sent a confirmation link to <strong>{user.email}</strong>. Open it to activate your account,
            then log in.
          </p>
          <p class="muted">
            The link expires in {lifetimeInWords(RECOVERY_DEFAULTS.verifyTtl)}. Nothing arrived? Check your
            spam folder.
          </p>
          <a href="/login" class="button secondary">
            Go to the login page
          </a>
        </Card>,
      )
    }
    setFlash(
      c,
      'success',
      config.emailVerification === 'optional'
        ? `Welcome, ${displayName(user)}! Your account is ready. We sent a link to confirm ${user.email}.`
        : `Welcome, ${displayName(user)}! Your account is ready.`,
    )
    return c.redirect('/dashboard', 303)
  })

  // ---------------------------------------------------------------- login

  const loginPage = (
    c: Context,
    state: {
      login: string
      remember: boolean
      problem?: FormProblem
      notice?: string
      unlockOffer?: boolean
    },
  ): Response | Promise<Response> => {
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
        <footer class="card-footer">
          New here? <a href="/signup">Create an account</a>
        </footer>
      </Card>,
    )
  }

  pages.get('/login', (c) =>
    loginPage(c, {
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
      return loginPage(c, { ...state, problem, unlockOffer })
    }
    try {
      await signInWithSession(c, passwordProof(user), { remember })
    } catch (error) {
      if (!(error instanceof AuthError && error.code === 'EMAIL_NOT_VERIFIED')) throw error
      await s.recovery.sendVerificationSafely(user)
      return loginPage(c, {
        ...state,
        problem: {
          status: 403,
          message: `Please confirm your email address first. We sent a new confirmation link to ${user.email}.`,
        },
      })
    }
    setFlash(c, 'success', `Welcome back, ${displayName(user)}.`)
    return c.redirect(safeRedirect(c.req.query('next'), '/dashboard'), 303)
  })

  // ---------------------------------------------------------------- sign in from a new device

  pages.use('/login/unlock', noReferrer)

  const invalidUnlockLink = (c: Context): Response | Promise<Response> =>
    renderPage(
      c,
      { title: 'Invalid link', card: true, status: 400 },
      <Card title="This link is invalid or has expired">
        <p>Sign-in links for a new device work once and expire after {UNLOCK_LIFETIME}.</p>
        <a href="/login" class="button">
          Back to login
        </a>
      </Card>,
    )

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
        return loginPage(c, { login: echo(loginValue), remember: false, problem: problemFrom(error) })
      throw error
    }
    return c.redirect('/login/unlock?sent=1', 303)
  })

  // ---------------------------------------------------------------- logout

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

  // ---------------------------------------------------------------- dashboard

  pages.get('/dashboard', requireLogin, async (c) => {
    const user = currentUser(c)!
    const sessions = await auth.listSessions(user.id)
    const unverified = config.emailVerification !== 'off' && !user.emailVerified
    return renderPage(
      c,
      { title: 'Dashboard' },
      <>
        <hgroup class="page-heading">
          <h1>Welcome, {displayName(user)}</h1>
          <p class="muted">Here is an overview of your account.</p>
        </hgroup>
        {unverified ? (
          <div class="flash info" role="status">
            Please confirm your email address <strong>{user.email}</strong>. You can send a new link from your{' '}
            <a href="/profile">profile</a>.
          </div>
        ) : null}
        <div class="stat-grid">
          <article>
            <header>Account</header>
            <p class="stat">{user.username}</p>
            <p class="muted">{user.email}</p>
          </article>
          <article>
            <header>Active sessions</header>
            <p class="stat">{sessions.length}</p>
            <p class="muted">
              <a href="/profile#sessions">Review devices</a>
            </p>
          </article>
          <article>
            <header>Last login</header>
            <p class="stat stat-small">{formatTime(user.lastLoginAt)}</p>
            <p class="muted">
              Roles:{' '}
              {user.roles.map((r) => (
                <span class={`badge ${r === 'admin' ? 'admin' : ''}`}>{r}</span>
              ))}
            </p>
          </article>
        </div>
        <article>
          <header>Quick actions</header>
          <div class="actions">
            <a href="/profile" class="button secondary outline">
              Edit profile
            </a>
            <a href="/profile#password" class="button secondary outline">
              Change password
            </a>
            {isAdmin(user) ? (
              <a href="/admin" class="button secondary outline">
                Manage users
              </a>
            ) : null}
          </div>
        </article>
      </>,
    )
  })
}
