import type { FC } from 'hono/jsx'
import type { User } from '../../stores/contracts.ts'
import type { FormProblem } from './form-problem.ts'
import { CsrfField, Field, FormAlert, firstError } from './forms.tsx'

// The self-service sections of /profile: edit name and username, change email, your data.

/** A failed submission of one of the forms, with what was typed. */
export interface AccountFormState {
  problem: FormProblem
  values: Record<string, string>
}

export const EditProfileForm: FC<{ user: User; token: string; state?: AccountFormState | undefined }> = ({
  user,
  token,
  state,
}) => {
  const f = state?.problem.fields ?? {}
  const focus = firstError(f, ['name', 'username'])
  return (
    <article id="edit-profile">
      <header>
        <h2 class="section-title">Edit profile</h2>
      </header>
      <form method="post" action="/profile/account#edit-profile" novalidate>
        <CsrfField token={token} />
        <FormAlert message={state?.problem.message} />
        <Field
          idPrefix="acct"
          name="name"
          label="Full name"
          autocomplete="name"
          optional
          maxlength={100}
          autofocus={focus === 'name'}
          value={state?.values.name ?? user.name ?? ''}
          error={f.name}
        />
        <Field
          idPrefix="acct"
          name="username"
          label="Username"
          autocomplete="username"
          required
          autofocus={focus === 'username'}
          value={state?.values.username ?? user.username}
          error={f.username}
          hint="3–32 letters, digits or underscores."
        />
        <button type="submit">Save profile</button>
      </form>
    </article>
  )
}

export const ChangeEmailForm: FC<{ user: User; token: string; state?: AccountFormState | undefined }> = ({
  user,
  token,
  state,
}) => {
  const f = state?.problem.fields ?? {}
  const focus = firstError(f, ['email', 'password'])
  return (
    <article id="change-email">
      <header>
        <h2 class="section-title">Change email</h2>
        <p class="muted section-lead">
          We send a link to the new address; the change takes effect when you open it. Your current address is
          told too.
        </p>
      </header>
      <form method="post" action="/profile/email#change-email" novalidate>
        <CsrfField token={token} />
        <FormAlert message={state?.problem.message} />
        <Field
          idPrefix="email"
          name="email"
          label="New email"
          type="email"
          autocomplete="email"
          required
          autofocus={focus === 'email'}
          value={state?.values.email ?? ''}
          error={f.email}
          hint={`Now: ${user.email}`}
        />
        <Field
          idPrefix="email"
          name="password"
          label="Your password"
          type="password"
          autocomplete="current-password"
          required
          autofocus={focus === 'password'}
          error={f.password}
        />
        <button type="submit">Send confirmation link</button>
      </form>
    </article>
  )
}

export const YourDataSection: FC = () => (
  <article id="your-data">
    <header>
      <h2 class="section-title">Your data</h2>
    </header>
    <p class="muted">
      Download everything we keep about you (profile, sessions, linked providers, security events) as JSON, or
      delete your account for good.
    </p>
    <div class="actions">
      <a href="/profile/export" class="button secondary outline" download>
        Download my data
      </a>
      <a href="/profile/delete" class="button secondary outline">
        Delete my account…
      </a>
    </div>
  </article>
)

/** GET /profile/delete: what goes, the password, a checkbox; Delete and Cancel side by side. */
export const DeleteAccountForm: FC<{
  token: string
  problem?: FormProblem | undefined
  hasPassword: boolean
}> = ({ token, problem, hasPassword }) => {
  const f = problem?.fields ?? {}
  const focus = firstError(f, ['password', 'confirm']) ?? 'password'
  return (
    <form method="post" action="/profile/delete" novalidate>
      <CsrfField token={token} />
      <FormAlert message={problem?.message} />
      <ul>
        <li>Every session on every device ends, and every API key stops working.</li>
        <li>Your profile and linked sign-in providers are removed.</li>
        <li>Security records stay, without your name, address, IP or device.</li>
      </ul>
      {hasPassword ? (
        <Field
          idPrefix="del"
          name="password"
          label="Your password"
          type="password"
          autocomplete="current-password"
          required
          autofocus={focus === 'password'}
          error={f.password}
        />
      ) : null}
      <div class="field">
        <label for="del-confirm">
          <input
            id="del-confirm"
            type="checkbox"
            name="confirm"
            value="yes"
            autofocus={focus === 'confirm' || (!hasPassword && !f.confirm)}
            aria-invalid={f.confirm ? 'true' : undefined}
            aria-describedby={f.confirm ? 'del-confirm-error' : undefined}
          />
          I understand that this cannot be undone
        </label>
        {f.confirm ? (
          <small id="del-confirm-error" class="field-error">
            {f.confirm}
          </small>
        ) : null}
      </div>
      <div class="actions">
        <button type="submit" class="danger">
          Delete my account
        </button>
        <a href="/profile" class="button secondary outline">
          Cancel
        </a>
      </div>
    </form>
  )
}
