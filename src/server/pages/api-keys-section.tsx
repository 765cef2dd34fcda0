import type { FC } from 'hono/jsx'
import type { PublicApiKey } from '../../core/methods/api-keys/keys.ts'
import type { FormProblem } from './form-problem.ts'
import { formatTime, isoTime, timeAgo } from './format.ts'
import { CsrfField, describedBy, Field, FieldNotes, FormAlert, firstError, PostButton } from './forms.tsx'

/**
 * The "API keys" section of /profile and /profile/api-keys: the user's keys with a revoke
 * button each, and a form that creates one. A new key is shown once, on the GET the creating
 * POST redirects to (once.ts: never in a URL, a cookie or a cache — Cache-Control: no-store).
 */

/** What the section shows besides the list: a key just created, or the form's errors and values. */
export interface ApiKeysView {
  created?: { key: string; record: PublicApiKey }
  problem?: FormProblem
  values?: KeyFormValues
}

export interface KeyFormValues {
  name: string
  scopes: string
  expiry: string
}

/** The expiry choices of the form: value → days (null = never). */
export const EXPIRY: Record<string, number | null> = { never: null, '30': 30, '90': 90, '365': 365 }
const EXPIRY_LABELS: [string, string][] = [
  ['never', 'Never'],
  ['30', '30 days'],
  ['90', '90 days'],
  ['365', '1 year (365 days)'],
]
export const DEFAULT_EXPIRY = '90'

const SelectField: FC<{
  id: string
  name: string
  label: string
  value: string
  options: [string, string][]
  error?: string | undefined
  hint?: string | undefined
  autofocus?: boolean
}> = (p) => {
  const errorId = `${p.id}-error`
  const hintId = `${p.id}-hint`
  return (
    <div class="field">
      <label for={p.id}>{p.label}</label>
      <select
        id={p.id}
        name={p.name}
        autofocus={p.autofocus === true}
        aria-invalid={p.error ? 'true' : undefined}
        aria-describedby={describedBy(p.id, p.error, p.hint)}
      >
        {p.options.map(([value, label]) => (
          <option value={value} selected={value === p.value}>
            {label}
          </option>
        ))}
      </select>
      <FieldNotes errorId={errorId} hintId={hintId} error={p.error} hint={p.hint} />
    </div>
  )
}

const NewKey: FC<{ created: NonNullable<ApiKeysView['created']> }> = ({ created }) => (
  <div class="flash success new-key" role="status" id="new-key">
    <p>
      <strong>Your new API key “{created.record.name}” has been created.</strong>
    </p>
    <p id="new-api-key-notice" class="new-key-notice">
      Copy it now, it will not be shown again. We store only a fingerprint of it, so nobody — not even us —
      can show it to you later.
    </p>
    <label for="new-api-key">Your new API key</label>
    <div class="key-row">
      {/* A textarea wraps the whole key on a phone; nothing is clipped. */}
      <textarea
        id="new-api-key"
        class="key-value"
        rows={2}
        readonly
        autofocus
        autocomplete="off"
        spellcheck={false}
        aria-describedby="new-api-key-notice new-api-key-usage"
      >
        {created.key}
      </textarea>
      {/* Shown by app.js (the Clipboard API needs a script). */}
      <button
        type="button"
        class="secondary"
        data-copy="new-api-key"
        data-copy-status="new-api-key-copied"
        hidden
      >
        Copy
      </button>
    </div>
    <small id="new-api-key-copied" class="field-hint" aria-live="polite" />
    <small id="new-api-key-usage" class="field-hint">
      Send it as <code>Authorization: ApiKey &lt;key&gt;</code> or <code>X-API-Key: &lt;key&gt;</code>.
    </small>
  </div>
)

function Scopes({ scopes }: { scopes: string[] }) {
  if (scopes.length === 0) return <span class="muted">none</span>
  return (
    <>
      {scopes.map((x) => (
        <span class="badge">{x}</span>
      ))}
    </>
  )
}

/** One key of the list, with its revoke button. */
const ApiKeyRow: FC<{ k: PublicApiKey; token: string; now: number }> = ({ k, token, now }) => {
  const expired = k.expiresAt !== null && k.expiresAt <= now
  return (
    <tr data-api-key={k.id}>
      <td class="key-name" data-label="Name">
        {k.name}
      </td>
      <td data-label="Scopes">
        <Scopes scopes={k.scopes} />
      </td>
      <td data-label="Created">
        <time datetime={isoTime(k.createdAt)}>{formatTime(k.createdAt)}</time>
      </td>
      <td data-label="Expires">
        {k.expiresAt === null ? (
          <span class="muted">Never</span>
        ) : (
          <time datetime={isoTime(k.expiresAt)}>{formatTime(k.expiresAt)}</time>
        )}
        {expired ? <span class="badge off">expired</span> : null}
      </td>
      <td data-label="Last used">
        {k.lastUsedAt === null ? (
          <span class="muted">Never</span>
        ) : (
          <time datetime={isoTime(k.lastUsedAt)} title={formatTime(k.lastUsedAt)}>
            {timeAgo(k.lastUsedAt, now)}
          </time>
        )}
      </td>
      <td class="cell-actions">
        <PostButton action={`/profile/api-keys/${encodeURIComponent(k.id)}/revoke`} token={token}>
          Revoke<span class="visually-hidden"> the key “{k.name}”</span>
        </PostButton>
      </td>
    </tr>
  )
}

export const ApiKeysSection: FC<{
  keys: PublicApiKey[]
  token: string
  now: number
  view?: ApiKeysView | undefined
}> = ({ keys, token, now, view = {} }) => {
  const f = view.problem?.fields ?? {}
  const focus = firstError(f, ['name', 'scopes', 'password', 'expires_in_days'])
  const values: KeyFormValues = view.values ?? { name: '', scopes: '', expiry: DEFAULT_EXPIRY }
  return (
    <article id="api-keys">
      <header>
        <h2 class="section-title">API keys</h2>
        <p class="muted section-lead">
          Keys let scripts and services call the API as you. Treat them like passwords.
        </p>
      </header>
      {view.created ? <NewKey created={view.created} /> : null}
      {keys.length === 0 ? (
        <p class="muted">You have no API keys yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="striped stack">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <ApiKeyRow k={k} token={token} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h3 class="subsection-title" id="new-api-key-heading">
        Create a key
      </h3>
      <form
        method="post"
        action="/profile/api-keys#create-key"
        id="create-key"
        class="key-form"
        aria-labelledby="new-api-key-heading"
        novalidate
      >
        <CsrfField token={token} />
        <FormAlert message={view.problem?.message} />
        <div class="key-form-fields">
          <Field
            idPrefix="key"
            name="name"
            autofocus={focus === 'name'}
            label="Name"
            autocomplete="off"
            required
            maxlength={100}
            value={values.name}
            error={f.name}
            hint="What the key is for, e.g. “CI deploys”."
          />
          <Field
            idPrefix="key"
            name="scopes"
            autofocus={focus === 'scopes'}
            label="Scopes"
            autocomplete="off"
            optional
            value={values.scopes}
            error={f.scopes}
            hint="Separated by commas or spaces, e.g. “read write:users”."
          />
          <Field
            idPrefix="key"
            name="password"
            autofocus={focus === 'password'}
            label="Confirm with your password"
            type="password"
            autocomplete="current-password"
            optional
            error={f.password}
            hint="Needed when you logged in more than a few minutes ago."
          />
          <SelectField
            id="key-expires_in_days"
            name="expires_in_days"
            label="Expires"
            value={values.expiry}
            options={EXPIRY_LABELS}
            autofocus={focus === 'expires_in_days'}
            error={f.expires_in_days}
          />
        </div>
        <button type="submit">Create API key</button>
      </form>
    </article>
  )
}
