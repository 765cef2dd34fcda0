import { AuthError } from '../../core/errors.ts'
import { withRetryHint } from './format.ts'
import type { FieldErrors } from './forms.tsx'

/** A failed form submission: the status of the error, field errors, a message, Retry-After. */
export interface FormProblem {
  status: number
  message?: string | undefined
  fields?: FieldErrors | undefined
  headers?: Record<string, string>
}

/** Errors a form shows next to its fields: 4xx, and 503 (busy, with Retry-After). Others are page errors. */
export function isFormError(error: unknown): error is AuthError {
  return error instanceof AuthError && (error.status < 500 || error.status === 503)
}

export function problemFrom(error: AuthError): FormProblem {
  const headers: Record<string, string> = {}
  if (error.retryAfter !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfter)))
  const hasFields = error.fields && Object.keys(error.fields).length > 0
  // A refused attempt says when to come back (from Retry-After).
  const text =
    error.status === 429 && error.retryAfter !== undefined
      ? withRetryHint(error.message, error.retryAfter)
      : error.message
  return {
    status: error.status,
    // With field errors, the summary says to look at the fields; otherwise the error's own words.
    message: hasFields ? 'Please correct the highlighted fields.' : text,
    fields: error.fields,
    headers,
  }
}
