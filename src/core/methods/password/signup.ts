import { AuthError } from '../../errors.ts'
import type { ResolvedOptions } from '../../options.ts'
import { isValidEmail } from '../../users.ts'
import { checkPasswordPolicy } from './hashing/index.ts'

export interface SignUpInput {
  email: string
  username: string
  password: string
  name?: string | null
}

/** What an operator or administrator gives to create a user (Auth.createUser). */
export interface CreateUserInput {
  email: string
  username: string
  /** Optional: without one the user has no password until they set one through a reset link. */
  password?: string | null
  name?: string | null
  /** Default: `signup.defaultRoles`. */
  roles?: string[]
  /** Created by an operator who vouches for the address (the CLI). Default false. */
  emailVerified?: boolean
}

const DEFAULT_USERNAME_PATTERN = '^[A-Za-z0-9_]{3,32}$'
const MAX_USERNAME = 1024
const MAX_NAME = 100
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * Checks every field of a sign-up at once, so the form can show all problems together.
 * Inputs of the wrong type read as empty. Throws VALIDATION_FAILED with per-field messages
 * (or WEAK_PASSWORD / PASSWORD_TOO_LONG when the password is the only problem).
 */
export function validateSignUp(
  input: Partial<Record<keyof SignUpInput, unknown>>,
  options: Pick<ResolvedOptions, 'usernameRegExp' | 'password' | 'signup'>,
  { passwordOptional = false }: { passwordOptional?: boolean } = {},
): { email: string; username: string; name: string | null; password: string } {
  const text = (v: unknown) => (typeof v === 'string' ? v : '')
  const email = text(input.email).trim()
  const username = text(input.username).trim()
  const name = text(input.name).trim() || null
  const password = text(input.password)
  const fields: Record<string, string> = {}
  if (!isValidEmail(email)) fields.email = 'Enter a valid email address.'
  if (username.length > MAX_USERNAME || !options.usernameRegExp.test(username)) {
    fields.username =
      options.signup.usernamePattern === DEFAULT_USERNAME_PATTERN
        ? 'Use 3–32 letters, digits or underscores.'
        : 'This username does not have the required format.'
  }
  if (name !== null && (name.length > MAX_NAME || CONTROL.test(name))) {
    fields.name = `Use at most ${MAX_NAME} characters, without control characters.`
  }
  const policy =
    passwordOptional && password === ''
      ? ({ ok: true } as const)
      : checkPasswordPolicy(password, { ...options.password, userInputs: [email, username] })
  if (!policy.ok) fields.password = policy.message
  const problems = Object.keys(fields).length
  if (problems > 0)
    throw new AuthError(problems === 1 && !policy.ok ? policy.code : 'VALIDATION_FAILED', { fields })
  return { email, username, name, password }
}
