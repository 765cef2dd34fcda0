import type { Context, Hono } from 'hono'
import type { Services } from '../services.ts'
import { formatTime } from './format.ts'
import { Email } from './forms.tsx'
import { requireLogin } from './guards.ts'
import { previousLogin } from './last-login.ts'
import { appName, currentUser, displayName, isAdmin, renderPage } from './layout.tsx'

/** The landing page, and the dashboard of a signed-in user. */
export function homePages(pages: Hono, s: Services): void {
  pages.get('/', (c) => {
    const user = currentUser(c)
    const app = appName(c)
    // The operator's product, not Gatehouse: a neutral welcome with the two ways in.
    return renderPage(
      c,
      { title: 'Welcome' },
      <section class="hero">
        <h1>{user ? `Welcome back, ${displayName(user)}` : `Welcome to ${app}`}</h1>
        <p class="lead">
          {user ? 'You are signed in.' : 'Sign in to your account, or create one in a minute.'}
        </p>
        <div class="actions">
          {user ? (
            <a href="/dashboard" class="button">
              Go to your dashboard
            </a>
          ) : (
            <>
              <a href="/login" class="button">
                Log in
              </a>
              <a href="/signup" class="button secondary outline">
                Create an account
              </a>
            </>
          )}
        </div>
      </section>,
    )
  })

  pages.get('/dashboard', requireLogin, (c) => dashboardPage(c, s))
}

async function dashboardPage(c: Context, s: Services): Promise<Response> {
  const { auth } = s
  const user = currentUser(c)!
  const sessions = await auth.listSessions(user.id)
  const unverified = auth.options.emailVerification !== 'off' && !user.emailVerified
  const previous = await previousLogin(auth, user.id, c.get('session') ?? null)
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
          <p class="muted">
            <Email address={user.email} />
          </p>
        </article>
        <article>
          <header>Active sessions</header>
          <p class="stat">{sessions.length}</p>
          <p class="muted">
            <a href="/profile#sessions">Review devices</a>
          </p>
        </article>
        <article>
          <header>Previous login</header>
          <p class="stat stat-small">{previous ? formatTime(previous.at) : 'This is your first login'}</p>
          {previous?.ip ? <p class="muted">from {previous.ip}</p> : null}
          <p class="muted">
            Your roles:{' '}
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
}
