import { pbkdf2 } from 'node:crypto'
import { promisify } from 'node:util'
import { AuthError } from '../errors.ts'
import { encodeUrlPadded } from './base64.ts'

/**
 * The Fernet key for a passphrase, as Flet derives it:
 * base64url_padded(PBKDF2-HMAC-SHA256(utf8(passphrase), salt, iterations, 32 bytes)).
 *
 * PBKDF2 at 600,000 iterations takes about a third of a second of CPU, so it runs on the
 * libuv thread pool (the async crypto.pbkdf2), never on the event loop.
 */

const pbkdf2Async = promisify(pbkdf2)

/** Flet today (OWASP's figure for PBKDF2-HMAC-SHA256). */
export const FLET_ITERATIONS = 600_000
/** Flet before flet-dev/flet#5023: still read, never written by default. */
export const FLET_LEGACY_ITERATIONS = 100_000
/** Below this the passphrase is too cheap to guess; Flet's legacy count is the floor. */
export const MIN_ITERATIONS = FLET_LEGACY_ITERATIONS
/** A token names its own count; above this it could make one decryption cost seconds (a DoS), so it is refused. */
// A forged token names its own count, and PBKDF2 shares the thread pool with argon2: bound it.
export const MAX_ITERATIONS = 2_000_000
export const SALT_BYTES = 16

export function isAllowedIterations(iterations: unknown): iterations is number {
  return (
    typeof iterations === 'number' &&
    Number.isSafeInteger(iterations) &&
    iterations >= MIN_ITERATIONS &&
    iterations <= MAX_ITERATIONS
  )
}

/** For iteration counts the caller passes in: a wrong one is a programming error, not a bad token. */
export function checkIterations(iterations: unknown): number {
  if (!isAllowedIterations(iterations))
    throw new RangeError(`iterations must be an integer from ${MIN_ITERATIONS} to ${MAX_ITERATIONS}`)
  return iterations
}

/** An empty passphrase is a missing setting (an unset environment variable), never a choice. */
export function checkPassphrase(passphrase: unknown): string {
  if (typeof passphrase !== 'string' || passphrase === '')
    throw new AuthError('CONFIG_INVALID', { message: 'The passphrase must be a non-empty string.' })
  return passphrase
}

export async function passphraseFernetKey(
  passphrase: string,
  salt: Uint8Array,
  iterations: number,
): Promise<string> {
  const key = await pbkdf2Async(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha256')
  return encodeUrlPadded(key)
}
