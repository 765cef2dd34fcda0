import type { Context } from 'hono'
import { AuthError } from '../../core/errors.ts'
import { withRetryHint } from './format.ts'
import { currentUser, renderPage } from './layout.tsx'

const TITLES: Record<number, [string, string]> = {
  400: ['That did not work', 'The request could not be understood.'],
  401: ['Please log in', 'You need to log in to see this page.'],
  403: ['Access denied', 'You do not have permission to see this page.'],
  404: ['Page not found', 'The page you are looking for does not exist or has moved.'],
  405: ['Not allowed', 'This page cannot be used that way.'],
  409: ['That conflicts with something', 'The change conflicts with the current state.'],
  413: ['Too much data', 'What you sent is larger than we accept.'],
  415: ['Unsupported form', 'The form was sent in a format we do not accept.'],
  429: ['Slow down', 'Too many attempts. Please wait a little and try again.'],
  503: ['We are busy', 'The service is busy right now. Please try again in a moment.'],
  500: ['Something went wrong', 'An unexpected error happened on our side. Please try again later.'],
}

/** A product-like error page with the status of the error (never a stack trace). */
export function renderErrorPage(c: Context, error: AuthError): Response | Promise<Response> {
  const status = error.status
  const [title, fallback] = TITLES[status] ?? (status >= 500 ? TITLES[500]! : TITLES[400]!)
  // Messages of errors under 500 are written for users; a 500 says nothing about its cause.
  const message =
    error.code === 'CSRF_FAILED'
      ? 'This form has expired or was sent from another site. Go back, reload the page and try again.'
      : error.expose && error.code !== 'INTERNAL'
        ? error.message
        : fallback
  const headers: Record<string, string> = {}
  if (error.retryAfter !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfter)))
  const user = currentUser(c)
  return renderPage(
    c,
    { title, status, headers, flash: false, card: true },
    <article class="error-card">
      <p class="error-status" aria-hidden="true">
        {status}
      </p>
      <h1>{title}</h1>
      <p class="muted" data-code={error.code}>
        {error.retryAfter !== undefined && (status === 429 || status === 503)
          ? withRetryHint(message, error.retryAfter)
          : message}
      </p>
      <div class="actions">
        {error.code.startsWith('OAUTH_') || error.code === 'LAST_SIGN_IN_METHOD' ? (
          // A sign-in with a provider that went wrong: the next step is another try.
          <a href={user ? '/profile#providers' : '/login'} class="button">
            {user ? 'Back to your profile' : 'Back to log in'}
          </a>
        ) : status === 401 || (status === 403 && !user) ? (
          <a href="/login" class="button">
            Log in
          </a>
        ) : (
          <a href={user ? '/dashboard' : '/'} class="button">
            {user ? 'Go to your dashboard' : 'Go to the home page'}
          </a>
        )}
      </div>
    </article>,
  )
}

/** The page-level answer for an AuthError thrown inside a page handler. */
export function errorPageFor(c: Context, error: unknown): Response | Promise<Response> {
  if (error instanceof AuthError) return renderErrorPage(c, error)
  throw error
}
