import type { Context, Hono } from 'hono'
import type { Services } from '../services.ts'
import { formatTime } from './format.ts'
import { requireLogin } from './guards.ts'
import { appName, currentUser, displayName, isAdmin, renderPage } from './layout.tsx'

/** The landing page, and the dashboard of a signed-in user. */
export function homePages(pages: Hono, s: Services): void {
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

  pages.get('/dashboard', requireLogin, (c) => dashboardPage(c, s))
}

async function dashboardPage(c: Context, s: Services): Promise<Response> {
  const { auth } = s
  const user = currentUser(c)!
  const sessions = await auth.listSessions(user.id)
  const unverified = auth.options.emailVerification !== 'off' && !user.emailVerified
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
}
