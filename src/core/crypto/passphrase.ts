import { randomBytes } from 'node:crypto'
import { decodePadded, decodeUrlNoPad, encodeUrlPadded } from './base64.ts'
import { Fernet, encryptFromParts as fernetFromParts, isWellFormedToken } from './fernet.ts'
import { InvalidToken } from './invalid-token.ts'
import {
  checkIterations,
  checkPassphrase,
  FLET_ITERATIONS,
  FLET_LEGACY_ITERATIONS,
  isAllowedIterations,
  passphraseFernetKey,
  SALT_BYTES,
} from './passphrase-kdf.ts'

/**
 * Passphrase encryption that reads what Flet's `flet.security.encrypt` wrote, and writes
 * by default an envelope of our own that says how its key was made:
 *
 *   gatehouse  gh1.pbkdf2-sha256.<iterations>.<base64url salt>.<Fernet token>
 *   flet       base64url_padded( salt[16] ‖ ascii(Fernet token) )  (600,000 or, before, 100,000 iterations)
 *
 * In both, the Fernet key is base64url(PBKDF2-HMAC-SHA256(utf8(passphrase), salt, iterations, 32)).
 * `gh1` fixes the layout `gh1.<kdf>.<kdf parameters>.<salt>.<token>`: a later KDF (scrypt,
 * argon2id) or count is a new `<kdf>` or parameter, and old data still decrypts. The prefix
 * needs no MAC of its own: the key is derived from it, so changing any of it fails the
 * Fernet MAC. Decryption does not check the Fernet timestamp (Flet's decrypt has no ttl).
 */

export type PassphraseFormat = 'gatehouse' | 'flet'

export interface PassphraseEncryptOptions {
  /** 'gatehouse' (default): our versioned envelope. 'flet': Flet's exact format, for data Flet must read. */
  format?: PassphraseFormat
  /** PBKDF2 iterations, 600,000 by default; 100,000 to 2,000,000. */
  iterations?: number
}

export interface PassphraseDecryptOptions {
  /** For Flet's format only (ours names its own count): try just this count instead of 600,000 then 100,000. */
  iterations?: number
}

/** The parts `encrypt` draws at random, given explicitly: for test vectors. Never reuse a salt and IV. */
export interface PassphraseParts extends PassphraseEncryptOptions {
  salt: Uint8Array
  /** Unix seconds, the Fernet timestamp. */
  time: number
  iv: Uint8Array
}

const VERSION = 'gh1'
const PBKDF2_SHA256 = 'pbkdf2-sha256'
const DECIMAL = /^[1-9][0-9]{0,9}$/

export function encrypt(
  plainText: string,
  passphrase: string,
  options: PassphraseEncryptOptions = {},
): Promise<string> {
  return encryptFromParts(plainText, passphrase, {
    ...options,
    salt: randomBytes(SALT_BYTES),
    time: Math.floor(Date.now() / 1000),
    iv: randomBytes(16),
  })
}

export async function encryptFromParts(
  plainText: string,
  passphrase: string,
  parts: PassphraseParts,
): Promise<string> {
  if (typeof plainText !== 'string') throw new TypeError('encrypt: the plain text must be a string')
  checkPassphrase(passphrase)
  const format = parts.format ?? 'gatehouse'
  if (format !== 'gatehouse' && format !== 'flet')
    throw new RangeError(`encrypt: format must be 'gatehouse' or 'flet'`)
  const iterations = checkIterations(parts.iterations ?? FLET_ITERATIONS)
  if (parts.salt.length !== SALT_BYTES) throw new RangeError(`encrypt: the salt must be ${SALT_BYTES} bytes`)
  const key = await passphraseFernetKey(passphrase, parts.salt, iterations)
  const token = fernetFromParts(key, plainText, parts.time, parts.iv)
  if (format === 'flet') return encodeUrlPadded(Buffer.concat([parts.salt, Buffer.from(token, 'latin1')]))
  const salt = Buffer.from(parts.salt).toString('base64url')
  return `${VERSION}.${PBKDF2_SHA256}.${iterations}.${salt}.${token}`
}

/**
 * The plain text of either format. A wrong passphrase, a tampered or truncated token, an
 * unknown version or KDF, or an out-of-bounds iteration count all throw InvalidToken.
 */
export async function decrypt(
  token: string,
  passphrase: string,
  options: PassphraseDecryptOptions = {},
): Promise<string> {
  checkPassphrase(passphrase)
  const counts =
    options.iterations === undefined
      ? [FLET_ITERATIONS, FLET_LEGACY_ITERATIONS]
      : [checkIterations(options.iterations)]
  if (typeof token !== 'string') throw new InvalidToken()
  const sealed = token.startsWith(`${VERSION}.`) ? parseEnvelope(token) : parseFlet(token, counts)
  // Structure is checked before any PBKDF2 runs, so garbage costs nothing to refuse.
  if (!sealed) throw new InvalidToken()
  for (const iterations of sealed.counts) {
    const fernet = new Fernet(await passphraseFernetKey(passphrase, sealed.salt, iterations))
    try {
      return fernet.decryptText(sealed.token)
    } catch (error) {
      if (!(error instanceof InvalidToken)) throw error
    }
  }
  throw new InvalidToken()
}

interface Sealed {
  salt: Buffer
  token: string
  counts: readonly number[]
}

function parseEnvelope(text: string): Sealed | undefined {
  const parts = text.split('.')
  if (parts.length !== 5) return undefined
  const [, kdf, params, saltText, token] = parts as [string, string, string, string, string]
  if (kdf !== PBKDF2_SHA256 || !DECIMAL.test(params)) return undefined
  const iterations = Number(params)
  // The count comes from the token: bounded before use, or a forged one could cost seconds.
  if (!isAllowedIterations(iterations)) return undefined
  const salt = decodeUrlNoPad(saltText)
  if (salt?.length !== SALT_BYTES || salt.toString('base64url') !== saltText) return undefined
  if (!isWellFormedToken(token)) return undefined
  return { salt, token, counts: [iterations] }
}

function parseFlet(text: string, counts: readonly number[]): Sealed | undefined {
  const raw = decodePadded(text)
  if (!raw || raw.length <= SALT_BYTES) return undefined
  const token = raw.subarray(SALT_BYTES).toString('latin1')
  if (!isWellFormedToken(token)) return undefined
  return { salt: raw.subarray(0, SALT_BYTES), token, counts }
}
