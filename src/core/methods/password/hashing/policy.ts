import { utf8ByteLength } from './bytes.ts'
import { isCommonPassword } from './common.ts'
import { checkInteger, DEFAULT_MAX_PASSWORD_BYTES } from './params.ts'

export interface PasswordPolicyOptions {
  /** Code points; NIST 800-63B asks for 8, or 15 when the password is the only factor. */
  minLength?: number
  /** Code points; at least 64 must be accepted. */
  maxLength?: number
  /** UTF-8 bytes: the hard cap that keeps hashing work bounded. */
  maxBytes?: number
  /** Reject passwords on the common-password list. */
  rejectCommon?: boolean
  /** The user's own username, email and the like; the password may not equal any of them. */
  userInputs?: readonly (string | null | undefined)[]
}

export type PasswordPolicyReason = 'too_short' | 'too_long' | 'common' | 'contains_user_input'

export type PasswordPolicyResult =
  | { ok: true }
  | { ok: false; code: 'WEAK_PASSWORD' | 'PASSWORD_TOO_LONG'; reason: PasswordPolicyReason; message: string }

export const PASSWORD_POLICY_DEFAULTS = Object.freeze({
  minLength: 8,
  maxLength: 1024,
  maxBytes: DEFAULT_MAX_PASSWORD_BYTES,
  rejectCommon: true,
})

/**
 * NIST 800-63B / ASVS 6.2 rules and nothing more: a length range in Unicode code points, the
 * common-password list, and not the user's own name. No composition rules. Lengths are taken
 * from the password exactly as given (no trimming or normalisation), since that is how it is
 * hashed; only the two look-ups ignore case, so `PASSWORD` counts as common too.
 */
export function checkPasswordPolicy(
  password: string,
  options: PasswordPolicyOptions = {},
): PasswordPolicyResult {
  const minLength = options.minLength ?? PASSWORD_POLICY_DEFAULTS.minLength
  const maxLength = options.maxLength ?? PASSWORD_POLICY_DEFAULTS.maxLength
  const maxBytes = options.maxBytes ?? PASSWORD_POLICY_DEFAULTS.maxBytes
  checkInteger('minLength', minLength, 1, 1024)
  checkInteger('maxLength', maxLength, Math.max(64, minLength))
  // 256 bytes lets 64 four-byte code points through.
  checkInteger('maxBytes', maxBytes, 256)

  if (typeof password !== 'string')
    return fail('WEAK_PASSWORD', 'too_short', `Use at least ${minLength} characters.`)
  // Bytes first: `.length` (UTF-16 units) never exceeds the UTF-8 size, so a huge string is
  // refused before it is walked.
  if (password.length > maxBytes || utf8ByteLength(password) > maxBytes) {
    return fail('PASSWORD_TOO_LONG', 'too_long', 'The password is too long.')
  }
  const length = codePoints(password)
  if (length > maxLength) return fail('PASSWORD_TOO_LONG', 'too_long', `Use at most ${maxLength} characters.`)
  if (length < minLength) return fail('WEAK_PASSWORD', 'too_short', `Use at least ${minLength} characters.`)
  if (matchesUserInput(password, options.userInputs ?? [])) {
    return fail(
      'WEAK_PASSWORD',
      'contains_user_input',
      'Do not use your username or email address as your password.',
    )
  }
  if ((options.rejectCommon ?? PASSWORD_POLICY_DEFAULTS.rejectCommon) && isCommonPassword(password)) {
    return fail('WEAK_PASSWORD', 'common', 'This password is too common. Choose a different one.')
  }
  return { ok: true }
}

function fail(
  code: 'WEAK_PASSWORD' | 'PASSWORD_TOO_LONG',
  reason: PasswordPolicyReason,
  message: string,
): PasswordPolicyResult {
  return { ok: false, code, reason, message }
}

/** Code points, not UTF-16 units: an emoji counts once, as a user would count it. */
function codePoints(text: string): number {
  let n = 0
  for (const _ of text) n++
  return n
}

/** Equal to a username or email, or to an email's local part, ignoring case. */
function matchesUserInput(password: string, inputs: readonly (string | null | undefined)[]): boolean {
  const candidate = password.toLowerCase()
  return inputs.some((input) => {
    if (typeof input !== 'string' || input === '') return false
    const value = input.toLowerCase()
    const at = value.lastIndexOf('@')
    return candidate === value || (at > 0 && candidate === value.slice(0, at))
  })
}
