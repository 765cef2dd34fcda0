import { argon2NeedsRehash, type ParsedArgon2, parseArgon2, verifyArgon2 } from './argon2.ts'
import { parseBcrypt, verifyBcrypt } from './bcrypt.ts'
import { utf8 } from './bytes.ts'
import { type Argon2Params, DEFAULT_ARGON2_PARAMS, STORED_HASH_LIMITS } from './params.ts'
import { type ParsedWerkzeug, parseWerkzeug, verifyWerkzeug } from './werkzeug.ts'

export interface VerifyResult {
  valid: boolean
  /** Only ever true when `valid`: store a fresh argon2id hash of this password now. */
  needsRehash: boolean
}

export type HashScheme = ParsedArgon2['scheme'] | 'bcrypt' | ParsedWerkzeug['scheme']

type Parsed = ParsedArgon2 | { scheme: 'bcrypt'; cost: number } | ParsedWerkzeug

const INVALID: VerifyResult = Object.freeze({ valid: false, needsRehash: false })

function parseStored(stored: unknown): Parsed | null {
  if (typeof stored !== 'string' || stored.length > STORED_HASH_LIMITS.maxLength) return null
  if (stored.startsWith('$argon2')) return parseArgon2(stored)
  if (stored.startsWith('$2')) return parseBcrypt(stored)
  return parseWerkzeug(stored)
}

/**
 * The scheme of a stored hash that `verifyPassword` can check, or null. Lets an importer
 * refuse rows that could never log in instead of finding out at the user's next login.
 */
export function hashScheme(stored: string): HashScheme | null {
  return parseStored(stored)?.scheme ?? null
}

/**
 * Checks a password against a stored hash of any supported scheme: argon2 PHC (id, i, d),
 * bcrypt, and Werkzeug's pbkdf2 / scrypt / legacy salted HMAC. Never throws for a bad stored
 * string: anything malformed, unsupported or over the cost limits is `valid: false`.
 * `needsRehash` compares against `params` (the current policy).
 */
export async function verifyPassword(
  password: string,
  stored: string,
  params: Argon2Params = DEFAULT_ARGON2_PARAMS,
): Promise<VerifyResult> {
  const parsed = parseStored(stored)
  if (!parsed || typeof password !== 'string') return INVALID
  const bytes = utf8(password)
  try {
    switch (parsed.scheme) {
      case 'argon2id':
      case 'argon2i':
      case 'argon2d':
        return (await verifyArgon2(bytes, stored))
          ? { valid: true, needsRehash: argon2NeedsRehash(parsed, params) }
          : INVALID
      case 'bcrypt':
        return (await verifyBcrypt(bytes, stored)) ? { valid: true, needsRehash: true } : INVALID
      default:
        return (await verifyWerkzeug(bytes, parsed)) ? { valid: true, needsRehash: true } : INVALID
    }
  } catch {
    return INVALID
  }
}

/** Whether a stored hash should be replaced by one made with `params`, without verifying it. */
export function needsRehash(stored: string, params: Argon2Params = DEFAULT_ARGON2_PARAMS): boolean {
  const parsed = parseStored(stored)
  if (!parsed) return true
  return parsed.scheme === 'argon2id' ? argon2NeedsRehash(parsed, params) : true
}
