import { verify } from '@node-rs/bcrypt'
import { STORED_HASH_LIMITS } from './params.ts'

/** bcrypt reads at most this many password bytes. */
export const BCRYPT_MAX_PASSWORD_BYTES = 72

// $2a$/$2b$/$2y$ (same algorithm for UTF-8 input), two-digit cost, 22-char salt + 31-char hash.
// Checked here because the binding also accepts `$2x$` and `+4`-style costs, which pyca/bcrypt
// and PHP refuse; a stored string they refuse must not verify here either.
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/

/** The cost of a well-formed bcrypt hash we are willing to run, or null. */
export function parseBcrypt(stored: string): { scheme: 'bcrypt'; cost: number } | null {
  const m = BCRYPT.exec(stored)
  if (!m) return null
  const cost = Number(m[1])
  return cost >= 4 && cost <= STORED_HASH_LIMITS.bcryptCost ? { scheme: 'bcrypt', cost } : null
}

/**
 * bcrypt silently ignores everything after byte 72, so a hash of a long password is also matched
 * by any password sharing its first 72 bytes. We refuse to verify passwords over 72 bytes
 * against bcrypt (as pyca/bcrypt >= 5 does) rather than accept a truncated match; a user whose
 * old password was longer must reset it. NUL is refused too: C implementations stop at it, so a
 * hash made elsewhere may cover only the part before the NUL.
 */
export async function verifyBcrypt(password: Uint8Array, stored: string): Promise<boolean> {
  if (password.length > BCRYPT_MAX_PASSWORD_BYTES || password.includes(0)) return false
  try {
    return (await verify(password, stored)) === true
  } catch {
    return false
  }
}
