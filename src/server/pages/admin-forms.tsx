import type { FC } from 'hono/jsx'
import type { User } from '../../stores/contracts.ts'
import { formatTime } from './format.ts'
import { CsrfField, Email, Hidden, PostButton } from './forms.tsx'

/** Creates a user whatever the public sign-up setting; the password may be left empty. */
export const CreateUserForm: FC<{
  token: string
  back: string
  roleNames: string[]
  defaultRoles: string[]
}> = (p) => (
  <details class="create-user">
    <summary class="button secondary outline">Create user</summary>
    <form method="post" action="/admin/users" aria-label="Create user">
      <CsrfField token={p.token} />
      <Hidden name="back" value={p.back} />
      <label for="new-email">
        Email
        <input id="new-email" type="email" name="email" required autocomplete="off" maxlength={254} />
      </label>
      <label for="new-username">
        Username
        <input id="new-username" type="text" name="username" required autocomplete="off" maxlength={64} />
      </label>
      <label for="new-name">
        Name <small class="muted">(optional)</small>
        <input id="new-name" type="text" name="name" autocomplete="off" maxlength={100} />
      </label>
      <label for="new-password">
        Password <small class="muted">(optional: without one, the user sets it with “Forgot password”)</small>
        <input id="new-password" type="password" name="password" autocomplete="new-password" />
      </label>
      <fieldset>
        <legend>Roles</legend>
        {p.roleNames.map((r) => (
          <label>
            <input type="checkbox" name="roles" value={r} checked={p.defaultRoles.includes(r)} />
            {r}
          </label>
        ))}
      </fieldset>
      <button type="submit">Create user</button>
    </form>
  </details>
)

export const UserRow: FC<{ user: User; me: User; token: string; back: string; roleNames: string[] }> = ({
  user,
  me,
  token,
  back,
  roleNames,
}) => {
  const self = user.id === me.id
  const base = `/admin/users/${encodeURIComponent(user.id)}`
  return (
    <tr data-user={user.username}>
      <td data-label="User">
        <strong>
          <a href={base}>{user.username}</a>
        </strong>
        {self ? <span class="badge current">you</span> : null}
        <br />
        <small class="muted">
          {user.name ? `${user.name} · ` : ''}
          <Email address={user.email} />
        </small>
      </td>
      <td data-label="Roles">
        {user.roles.length === 0 ? <span class="muted">none</span> : null}
        {user.roles.map((r) => (
          <span class={`badge ${r === 'admin' ? 'admin' : ''}`}>{r}</span>
        ))}
      </td>
      <td data-label="Status">
        {user.active ? <span class="badge ok">active</span> : <span class="badge off">deactivated</span>}
      </td>
      <td data-label="Last login">{formatTime(user.lastLoginAt)}</td>
      <td class="cell-actions">
        <div class="row-actions">
          <PostButton
            action={`${base}/toggle-active`}
            token={token}
            hidden={{ back }}
            class={`small ${user.active ? 'secondary outline' : ''}`}
            label={`${user.active ? 'Deactivate' : 'Activate'} ${user.username}`}
          >
            {user.active ? 'Deactivate' : 'Activate'}
          </PostButton>
          <PostButton
            action={`${base}/clear-throttle`}
            token={token}
            hidden={{ back }}
            class="small secondary outline"
            label={`Clear login throttle of ${user.username}`}
          >
            Clear login throttle
          </PostButton>
          <details class="role-editor">
            <summary class="button secondary outline small">Roles</summary>
            <form method="post" action={`${base}/roles`}>
              <CsrfField token={token} />
              <Hidden name="back" value={back} />
              <fieldset>
                <legend class="visually-hidden">Roles of {user.username}</legend>
                {roleNames.map((r) => (
                  <label>
                    <input type="checkbox" name="roles" value={r} checked={user.roles.includes(r)} />
                    {r}
                  </label>
                ))}
              </fieldset>
              <button type="submit" class="small" aria-label={`Save roles of ${user.username}`}>
                Save roles
              </button>
            </form>
          </details>
        </div>
      </td>
    </tr>
  )
}
