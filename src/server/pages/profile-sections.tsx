import type { FC } from 'hono/jsx'
import type { SessionInfo } from '../../core/sessions.ts'
import type { User } from '../../stores/contracts.ts'
import type { FormProblem } from './form-problem.ts'
import { formatTime, isoTime, timeAgo } from './format.ts'
import { CsrfField, Email, Field, FormAlert, firstError, PostButton } from './forms.tsx'

// The sections of /profile: account details, the password form, the active sessions.

export const AccountDetails: FC<{
  user: User
  token: string
  showVerify: boolean
  /** The login before this session's (last-login.ts); null for a first login. */
  previous: number | null
}> = ({ user, token, showVerify, previous }) => (
  <article>
    <header>
      <h2 class="section-title">Account details</h2>
    </header>
    <dl class="details">
      <dt>Name</dt>
      <dd>{user.name ?? <span class="muted">Not set</span>}</dd>
      <dt>Username</dt>
      <dd>{user.username}</dd>
      <dt>Email</dt>
      <dd>
        <Email address={user.email} />{' '}
        {showVerify ? (
          user.emailVerified ? (
            <span class="badge ok">verified</span>
          ) : (
            <span class="badge off">not verified</span>
          )
        ) : null}
      </dd>
      <dt>Roles</dt>
      <dd>
        {user.roles.map((r) => (
          <span class={`badge ${r === 'admin' ? 'admin' : ''}`}>{r}</span>
        ))}
      </dd>
      <dt>Member since</dt>
      <dd>{formatTime(user.createdAt)}</dd>
      <dt>Previous login</dt>
      <dd>{previous === null ? 'This is your first login' : formatTime(previous)}</dd>
    </dl>
    {showVerify && !user.emailVerified ? (
      <form method="post" action="/profile/verify-email">
        <CsrfField token={token} />
        <button type="submit" class="secondary outline small">
          Send a new confirmation link
        </button>
      </form>
    ) : null}
  </article>
)

/** `problem` is the password form's last failed submission. */
export const PasswordForm: FC<{
  token: string
  minLength: number
  problem?: FormProblem | undefined
  /** false for accounts made through a sign-in provider: no current password to ask for. */
  hasPassword?: boolean
}> = ({ token, minLength, problem, hasPassword = true }) => {
  const f = problem?.fields ?? {}
  const focus = firstError(f, ['current_password', 'new_password', 'confirm_password'])
  return (
    <article id="password">
      <header>
        <h2 class="section-title">{hasPassword ? 'Change password' : 'Set a password'}</h2>
      </header>
      <form method="post" action="/profile/password#password" novalidate>
        <CsrfField token={token} />
        <FormAlert message={problem?.message} />
        {hasPassword ? null : (
          <p class="muted">You sign in with a provider. A password lets you sign in without it too.</p>
        )}
        {hasPassword && (
          <Field
            idPrefix="pw"
            name="current_password"
            autofocus={focus === 'current_password'}
            label="Current password"
            type="password"
            autocomplete="current-password"
            required
            error={f.current_password}
          />
        )}
        <Field
          idPrefix="pw"
          name="new_password"
          autofocus={focus === 'new_password'}
          label="New password"
          type="password"
          autocomplete="new-password"
          required
          strength
          error={f.new_password}
          hint={`At least ${minLength} characters.`}
        />
        <Field
          idPrefix="pw"
          name="confirm_password"
          autofocus={focus === 'confirm_password'}
          label="Confirm new password"
          type="password"
          autocomplete="new-password"
          required
          error={f.confirm_password}
        />
        <button type="submit">Change password</button>
        <small class="muted block">Your other devices will be signed out.</small>
      </form>
    </article>
  )
}

/** The user's sessions, this device first; each can be signed out. */
export const SessionsSection: FC<{
  sessions: SessionInfo[]
  currentId: string | null
  token: string
  now: number
}> = ({ sessions, currentId, token, now }) => (
  <article id="sessions">
    <header class="section-header">
      <h2 class="section-title">Active sessions</h2>
      {sessions.length > 1 && currentId ? (
        <form method="post" action="/profile/sessions/revoke-others">
          <CsrfField token={token} />
          <button type="submit" class="secondary outline small">
            Sign out all other sessions
          </button>
        </form>
      ) : null}
    </header>
    <div class="table-wrap">
      <table class="striped stack">
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">IP address</th>
            <th scope="col">Last seen</th>
            <th scope="col">Signed in</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((x) => (
            <tr data-session={x.id}>
              <td data-label="Device">
                {x.device}
                {x.id === currentId ? <span class="badge current">this device</span> : null}
                {x.remember ? <span class="badge">remembered</span> : null}
              </td>
              <td data-label="IP address">{x.ip ?? <span class="muted">unknown</span>}</td>
              <td data-label="Last seen">
                <time datetime={isoTime(x.lastSeenAt)} title={formatTime(x.lastSeenAt)}>
                  {timeAgo(x.lastSeenAt, now)}
                </time>
              </td>
              <td data-label="Signed in">{formatTime(x.createdAt)}</td>
              <td class="cell-actions">
                <PostButton action={`/profile/sessions/${encodeURIComponent(x.id)}/revoke`} token={token}>
                  {x.id === currentId ? 'Sign out' : 'Revoke'}
                </PostButton>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  </article>
)
