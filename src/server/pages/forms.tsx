import type { Context } from 'hono'
import type { FC } from 'hono/jsx'
import { formHasNul, nulError } from '../../core/body.ts'
import { AuthError } from '../../core/errors.ts'

/** A parsed form: every value may be a string, a File, or an array of them (repeated fields). */
export type Form = Record<string, unknown>

/** Field errors by field name. */
export type FieldErrors = Record<string, string>

/**
 * Parses an urlencoded or multipart body. Repeated fields become arrays; a body that cannot
 * be parsed is a 400, never a 500; so is a NUL in any field. Other content types read as an empty form.
 */
export async function readForm(c: Context): Promise<Form> {
  let form: Form
  try {
    form = (await c.req.parseBody({ all: true })) as Form
  } catch {
    throw new AuthError('BAD_REQUEST', { message: 'The form could not be read.' })
  }
  if (formHasNul(form)) throw nulError()
  return form
}

/** The field as a string; a missing, repeated or file field reads as ''. */
export function str(form: Form, name: string): string {
  const v = form[name]
  return typeof v === 'string' ? v : ''
}

/** Every string value of a (possibly repeated) field. */
export function strings(form: Form, name: string): string[] {
  const v = form[name]
  if (typeof v === 'string') return [v]
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

/** A value echoed back into a form after an error: bounded, so a 60 KB field is not sent back whole. */
export function echo(value: string, max = 256): string {
  return value.slice(0, max)
}

export const CsrfField: FC<{ token: string }> = ({ token }) => (
  <input type="hidden" name="csrf_token" value={token} />
)

/** A one-button form that POSTs an action with its CSRF token (revoke, sign out, toggle…). */
export const PostButton: FC<{
  action: string
  token: string
  class?: string
  label?: string
  hidden?: Record<string, string>
  children?: unknown
}> = (p) => (
  <form method="post" action={p.action}>
    <CsrfField token={p.token} />
    {Object.entries(p.hidden ?? {}).map(([name, value]) => (
      <input type="hidden" name={name} value={value} />
    ))}
    <button type="submit" class={p.class ?? 'secondary outline small'} aria-label={p.label}>
      {p.children}
    </button>
  </form>
)

/** The form-level message (role=alert so screen readers announce it). */
export const FormAlert: FC<{ message?: string | null | undefined; type?: 'error' | 'info' | 'success' }> = ({
  message,
  type = 'error',
}) =>
  message ? (
    <div class={`flash ${type}`} role={type === 'error' ? 'alert' : 'status'}>
      {message}
    </div>
  ) : null

export interface FieldProps {
  name: string
  label: string
  type?: 'text' | 'email' | 'password' | 'search'
  value?: string | undefined
  autocomplete: string
  required?: boolean
  optional?: boolean
  error?: string | undefined
  hint?: string | undefined
  autofocus?: boolean
  minlength?: number | undefined
  maxlength?: number | undefined
  /** Prefix for the element id when a page has two forms with the same field name. */
  idPrefix?: string
  /** A new password: shows a strength meter under it (app.js, zxcvbn-ts). */
  strength?: boolean
}

/** "Use 3–32 letters." and "3–32 letters." say the same: the hint is left out under such an error. */
function repeats(error: string | undefined, hint: string | undefined): boolean {
  if (!error || !hint) return false
  const words = (x: string) =>
    x
      .toLowerCase()
      .replace(/[.!]+$/, '')
      .trim()
  if (words(hint).includes(words(error))) return true
  // "Use at least 8 characters." says the first sentence of "At least 8 characters. A long passphrase is best."
  return hint.split(/(?<=[.!])\s+/).some((sentence) => words(error).includes(words(sentence)))
}

/** The error and the hint under a field, with the ids its aria-describedby points at. */
export const FieldNotes: FC<{
  errorId: string
  hintId: string
  error?: string | undefined
  hint?: string | undefined
}> = (p) => (
  <>
    {p.error ? (
      <small id={p.errorId} class="field-error">
        {p.error}
      </small>
    ) : null}
    {p.hint && !repeats(p.error, p.hint) ? (
      <small id={p.hintId} class="field-hint">
        {p.hint}
      </small>
    ) : null}
  </>
)

/** The ids a field's aria-describedby names: its error, then its hint (unless the error says it). */
export function describedBy(id: string, error?: string, hint?: string): string | undefined {
  const ids = [error ? `${id}-error` : null, hint && !repeats(error, hint) ? `${id}-hint` : null]
  return ids.filter(Boolean).join(' ') || undefined
}

/** The first field of `order` that has an error: the one the page focuses when it opens. */
export function firstError(fields: FieldErrors | undefined, order: string[]): string | undefined {
  return order.find((name) => fields?.[name])
}

/** A labelled input; its error and hint are tied to it with aria-describedby / aria-invalid. */
export const Field: FC<FieldProps> = (p) => {
  const id = `${p.idPrefix ?? 'f'}-${p.name}`
  const password = p.type === 'password'
  const described = [describedBy(id, p.error, p.hint), p.strength ? `${id}-strength` : null]
    .filter(Boolean)
    .join(' ')
  // The hint and the error sit outside the <label>, so the accessible name is the label alone.
  const input = (
    <input
      id={id}
      name={p.name}
      type={p.type ?? 'text'}
      value={password ? undefined : p.value}
      autocomplete={p.autocomplete}
      required={p.required === true}
      autofocus={p.autofocus === true}
      minlength={p.minlength}
      maxlength={p.maxlength}
      aria-invalid={p.error ? 'true' : undefined}
      aria-describedby={described || undefined}
      data-password={password ? '' : undefined}
    />
  )
  return (
    <div class="field">
      <label for={id}>
        {p.label}
        {p.optional ? <span class="muted"> (optional)</span> : null}
      </label>
      {password ? (
        <div class="password-wrap">
          {input}
          {/* Shown by app.js; without the script the field is a plain password field. */}
          <button
            type="button"
            class="password-toggle secondary outline"
            aria-controls={id}
            aria-pressed="false"
            data-password-toggle
            hidden
          >
            <span data-toggle-text>Show</span>
            <span class="visually-hidden"> {p.label.toLowerCase()}</span>
          </button>
        </div>
      ) : (
        input
      )}
      {p.strength ? (
        <div class="strength" data-strength={id} hidden>
          <meter min={0} max={4} low={2} high={3} optimum={4} value={0} aria-hidden="true" />
          <small id={`${id}-strength`} data-strength-label aria-live="polite" />
        </div>
      ) : null}
      <FieldNotes errorId={`${id}-error`} hintId={`${id}-hint`} error={p.error} hint={p.hint} />
    </div>
  )
}

/** Hidden fields that carry where to go back to after a POST. */
export const Hidden: FC<{ name: string; value: string }> = ({ name, value }) => (
  <input type="hidden" name={name} value={value} />
)

/** An email address that may wrap after its @ and dots (<wbr>), never in the middle of a word. */
export const Email: FC<{ address: string }> = ({ address }) => {
  const parts = address.split(/(?<=[@.])/)
  return (
    <span class="email">
      {parts.map((part, i) => (
        <>
          {i > 0 ? <wbr /> : null}
          {part}
        </>
      ))}
    </span>
  )
}
