import type { Context } from 'hono'
import { AuthError, ERROR_TABLE } from '../../core/errors.ts'
import { withRetryHint } from './format.ts'
import { currentUser, renderPage } from './layout.tsx'

/** Per status: the title, what happened (when the error has no message for users), what to do. */
const TEXTS: Record<number, [string, string, string]> = {
  400: [
    'That did not work',
    'The request could not be understood.',
    'Go back, check what you entered and try again.',
  ],
  401: [
    'Please log in',
    'You need to log in to see this page.',
    'Log in, and you will be brought back here.',
  ],
  403: [
    'Access denied',
    'Your account does not have permission to see this page.',
    'If you think you should have access, ask an administrator.',
  ],
  404: [
    'Page not found',
    'There is no page at this address. The link may be old or mistyped.',
    'Check the address, or start again from the home page.',
  ],
  405: [
    'This page cannot be used that way',
    'The address exists, but not for this kind of request.',
    'Open the page from a link or a button rather than typing the address.',
  ],
  409: [
    'That conflicts with something',
    'The change conflicts with the current state.',
    'Reload the page to see the current state, then try again.',
  ],
  413: ['Too much data', 'What you sent is larger than we accept.', 'Send less, or shorter values.'],
  415: [
    'Unsupported form',
    'The form was sent in a format we do not accept.',
    'Reload the page and send the form again.',
  ],
  429: ['Slow down', 'Too many attempts in a short time.', 'Wait a little, then try again.'],
  503: [
    'We are busy',
    'The service is busy or a part of it is unavailable right now.',
    'Wait a moment and try again.',
  ],
  500: [
    'Something went wrong',
    'An unexpected error happened on our side. It has been logged.',
    'Try again in a moment. If it keeps happening, tell the people who run this site.',
  ],
}

/** An error with its code's stock message ("Not found."), which says less than the page's explanation. */
function terse(error: AuthError): boolean {
  const stock = (ERROR_TABLE as Record<string, readonly [number, string]>)[error.code]
  return (
    ['NOT_FOUND', 'METHOD_NOT_ALLOWED', 'BAD_REQUEST'].includes(error.code) && error.message === stock?.[1]
  )
}

/** A product-like error page: what happened, what to do, a way back (never a stack trace). */
export function renderErrorPage(c: Context, error: AuthError): Response | Promise<Response> {
  const status = error.status
  const [title, fallback, todo] = TEXTS[status] ?? (status >= 500 ? TEXTS[500]! : TEXTS[400]!)
  // Messages of errors under 500 are written for users; a 500 says nothing about its cause.
  const message =
    error.code === 'CSRF_FAILED'
      ? 'This form has expired or was sent from another site.'
      : error.expose && error.code !== 'INTERNAL' && !terse(error)
        ? error.message
        : fallback
  const headers: Record<string, string> = {}
  if (error.retryAfter !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfter)))
  const waited = error.retryAfter !== undefined && (status === 429 || status === 503)
  // A refusal with Retry-After says when, in one sentence ("… Try again in 15 minutes.").
  const happened = waited ? withRetryHint(message, error.retryAfter!) : message
  const whatToDo =
    error.code === 'CSRF_FAILED' ? 'Go back, reload the page and send the form again.' : waited ? null : todo
  const user = currentUser(c)
  const login = status === 401 || (status === 403 && !user)
  const oauthFailure = error.code.startsWith('OAUTH_') || error.code === 'LAST_SIGN_IN_METHOD'
  return renderPage(
    c,
    { title, status, headers, flash: false, card: true },
    <article class="error-card">
      <p class="error-status" aria-hidden="true">
        {status}
      </p>
      <h1>{title}</h1>
      <p data-code={error.code}>{happened}</p>
      {whatToDo ? (
        <p class="muted" data-what-to-do>
          {whatToDo}
        </p>
      ) : null}
      <div class="actions">
        {oauthFailure ? (
          // A sign-in with a provider that went wrong: the next step is another try.
          <a href={user ? '/profile#providers' : '/login'} class="button">
            {user ? 'Back to your profile' : 'Back to log in'}
          </a>
        ) : login ? (
          <a href={`/login?next=${encodeURIComponent(c.req.path)}`} class="button">
            Log in
          </a>
        ) : null}
        <a
          href={user ? '/dashboard' : '/'}
          class={login || oauthFailure ? 'button secondary outline' : 'button'}
        >
          {user ? 'Go to your dashboard' : 'Go to the home page'}
        </a>
      </div>
    </article>,
  )
}

/** The page-level answer for an AuthError thrown inside a page handler. */
export function errorPageFor(c: Context, error: unknown): Response | Promise<Response> {
  if (error instanceof AuthError) return renderErrorPage(c, error)
  throw error
}
