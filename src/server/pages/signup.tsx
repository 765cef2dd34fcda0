import type { Context, Hono } from 'hono'
import { csrfToken } from '../../adapters/hono.ts'
import { AuthError } from '../../core/errors.ts'
import { lifetimeInWords } from '../../core/mail/lifetime.ts'
import { validateSignUp } from '../../core/methods/password/signup.ts'
import { RECOVERY_DEFAULTS } from '../../core/options.ts'
import type { User } from '../../stores/contracts.ts'
import type { Services } from '../services.ts'
import { signInAfterSignUp } from '../sign-in.ts'
import { setFlash } from './flash.ts'
import { type FormProblem, isFormError, problemFrom } from './form-problem.ts'
import { CsrfField, echo, Field, FormAlert, firstError, readForm, str } from './forms.tsx'
import { requestContext, requireCsrf } from './guards.ts'
import { appName, Card, displayName, renderPage } from './layout.tsx'
import { ProviderButtons } from './providers.tsx'

const ORDER = ['email', 'username', 'name', 'password', 'confirm_password']

function SignupForm(props: {
  token: string
  values: Record<string, string>
  problem?: FormProblem | undefined
  minLength: number
}) {
  const f = props.problem?.fields ?? {}
  // The page opens at the first field in error (else at the first field).
  const focus = firstError(f, ORDER) ?? 'email'
  return (
    <form method="post" action="/signup" novalidate>
      <CsrfField token={props.token} />
      <FormAlert message={props.problem?.message} />
      <Field
        name="email"
        autofocus={focus === 'email'}
        label="Email"
        type="email"
        autocomplete="email"
        required
        value={props.values.email}
        error={f.email}
      />
      <Field
        name="username"
        autofocus={focus === 'username'}
        label="Username"
        autocomplete="username"
        required
        value={props.values.username}
        error={f.username}
        hint="3–32 letters, digits or underscores."
      />
      <Field
        name="name"
        autofocus={focus === 'name'}
        label="Full name"
        autocomplete="name"
        optional
        value={props.values.name}
        error={f.name}
      />
      <Field
        name="password"
        autofocus={focus === 'password'}
        label="Password"
        type="password"
        autocomplete="new-password"
        required
        strength
        error={f.password}
        hint={`At least ${props.minLength} characters. A long passphrase is best.`}
      />
      <Field
        name="confirm_password"
        autofocus={focus === 'confirm_password'}
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

function signupPage(
  c: Context,
  s: Services,
  values: Record<string, string>,
  problem?: FormProblem,
): Response | Promise<Response> {
  const { auth } = s
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
      <ProviderButtons auth={auth} />
      <footer class="card-footer">
        Already have an account? <a href="/login">Log in</a>
      </footer>
    </Card>,
  )
}

/** The field errors the core's sign-up check finds (none: {}). */
function signUpFieldErrors(auth: Services['auth'], input: Record<string, string>): Record<string, string> {
  try {
    validateSignUp(input, auth.options)
    return {}
  } catch (error) {
    return error instanceof AuthError ? (error.fields ?? {}) : {}
  }
}

/** GET and POST /signup: a new account, signed in at once unless its email must be confirmed first. */
export function signupPages(pages: Hono, s: Services): void {
  const { auth } = s

  pages.get('/signup', (c) => signupPage(c, s, { email: '', username: '', name: '' }))

  pages.post('/signup', requireCsrf, async (c) => {
    const form = await readForm(c)
    const email = str(form, 'email')
    const username = str(form, 'username')
    const name = str(form, 'name')
    const password = str(form, 'password')
    const values = { email: echo(email), username: echo(username), name: echo(name) }
    if (password !== str(form, 'confirm_password')) {
      // Every problem at once: the other fields' errors beside the mismatch.
      return signupPage(c, s, values, {
        status: 400,
        message: 'Please correct the highlighted fields.',
        fields: {
          ...signUpFieldErrors(auth, { email, username, name, password }),
          confirm_password: 'The passwords do not match.',
        },
      })
    }
    let user: User
    try {
      user = await auth.signUp({ email, username, name: name || null, password }, requestContext(c))
    } catch (error) {
      if (isFormError(error)) return signupPage(c, s, values, problemFrom(error))
      throw error
    }
    await s.recovery.sendVerificationSafely(user)
    const outcome = await signInAfterSignUp(c, user)
    if (outcome === 'pending') {
      setFlash(
        c,
        'success',
        `Welcome, ${displayName(user)}! Your account is ready: log in to finish setting it up.`,
      )
      return c.redirect('/login', 303)
    }
    if (outcome === 'verify-email') {
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
      auth.options.emailVerification === 'optional'
        ? `Welcome, ${displayName(user)}! Your account is ready. We sent a link to confirm ${user.email}.`
        : `Welcome, ${displayName(user)}! Your account is ready.`,
    )
    return c.redirect('/dashboard', 303)
  })
}
