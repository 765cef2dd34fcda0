import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { inflateSync } from 'node:zlib'
import { decodeUrlNoPad } from './base64.ts'
import { type Clock, nowSeconds } from './clock.ts'
import { InvalidToken } from './invalid-token.ts'

/**
 * Verifies tokens minted by Flask apps with itsdangerous' URLSafeTimedSerializer(secret,
 * salt).dumps(payload) — password-reset and confirmation links — so they keep working
 * after a move to Gatehouse. Only the defaults are accepted, which is what such apps use:
 *
 *   <payload>.<timestamp>.<signature>
 *   payload   = base64url_nopad(JSON), or '.' + base64url_nopad(zlib(JSON)) when compressed
 *   timestamp = base64url_nopad(big-endian unix seconds)
 *   signature = base64url_nopad(HMAC-SHA1(SHA1(salt ‖ "signer" ‖ secret), "<payload>.<timestamp>"))
 *
 * (key derivation 'django-concat', digest SHA-1, separator '.'). Anything else — the
 * untimed URLSafeSerializer, key_derivation 'hmac' (Flask's session cookie), SHA-256
 * signers, other separators — fails like a forgery, with InvalidToken. The signature is
 * checked (constant time) before the timestamp or payload is read. We never mint these:
 * new tokens come from `sign`.
 */

type Secret = string | Uint8Array

export interface ItsdangerousOptions {
  /** Flask's SECRET_KEY; several during a rotation (itsdangerous' list, any order). */
  secret: Secret | readonly Secret[]
  /** The serializer's salt, e.g. 'password-reset'. */
  salt: string | Uint8Array
  /** Seconds, as loads(max_age=): older is invalid (age equal is valid), and so is a future timestamp. Unset: age is not checked. */
  maxAge?: number
  clock?: Clock
}

const SIGNATURE = /^[A-Za-z0-9_-]{27}$/ // 20 bytes of HMAC-SHA1
const TIMESTAMP = /^[A-Za-z0-9_-]{2,11}$/ // 1 to 8 bytes
// A valid signature means the secret's holder made the payload, but a bound keeps a
// mistaken one (or a leaked secret) from inflating into memory exhaustion.
const MAX_INFLATED_BYTES = 1024 * 1024

function bytesOf(value: Secret): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value)
}

function signerKey(salt: Buffer, secret: Secret): Buffer {
  return createHash('sha1')
    .update(Buffer.concat([salt, Buffer.from('signer', 'ascii'), bytesOf(secret)]))
    .digest()
}

function checkOptions(options: ItsdangerousOptions): { secrets: readonly Secret[]; salt: Buffer } {
  const secrets: readonly Secret[] = Array.isArray(options.secret)
    ? options.secret
    : [options.secret as Secret]
  if (
    secrets.length === 0 ||
    !secrets.every((s) => (typeof s === 'string' || s instanceof Uint8Array) && s.length > 0)
  )
    throw new RangeError('verifyItsdangerous: secret must be a non-empty string or bytes (or a list of them)')
  if (typeof options.salt !== 'string' && !(options.salt instanceof Uint8Array))
    throw new RangeError('verifyItsdangerous: salt must be a string or bytes')
  const { maxAge } = options
  if (maxAge !== undefined && (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge < 0))
    throw new RangeError('verifyItsdangerous: maxAge must be a non-negative number of seconds')
  return { secrets, salt: bytesOf(options.salt) }
}

export function verifyItsdangerous<T = unknown>(token: string, options: ItsdangerousOptions): T {
  const { secrets, salt } = checkOptions(options)
  const now = nowSeconds(options.clock ?? Date.now)
  if (typeof token !== 'string') throw new InvalidToken()

  const sigAt = token.lastIndexOf('.')
  const value = token.slice(0, Math.max(sigAt, 0))
  const signature = token.slice(sigAt + 1)
  if (sigAt < 0 || !SIGNATURE.test(signature)) throw new InvalidToken()
  const given = Buffer.from(signature, 'ascii')
  let valid = false
  for (const secret of secrets) {
    const expected = createHmac('sha1', signerKey(salt, secret)).update(value, 'latin1').digest('base64url')
    valid = timingSafeEqual(Buffer.from(expected, 'ascii'), given) || valid
  }
  if (!valid) throw new InvalidToken()

  // Authentic from here on; the remaining checks refuse shapes the timed serializer never makes.
  const tsAt = value.lastIndexOf('.')
  const tsText = value.slice(tsAt + 1)
  const stamp = decodeUrlNoPad(tsText)
  if (tsAt < 0 || !TIMESTAMP.test(tsText) || !stamp || stamp.length === 0 || stamp.length > 8)
    throw new InvalidToken()
  const timestamp = Number(BigInt(`0x${stamp.toString('hex')}`))
  if (options.maxAge !== undefined) {
    const age = now - timestamp
    if (age > options.maxAge || age < 0) throw new InvalidToken()
  }
  return parsePayload(value.slice(0, tsAt)) as T
}

function parsePayload(segment: string): unknown {
  const compressed = segment.startsWith('.')
  const data = decodeUrlNoPad(compressed ? segment.slice(1) : segment)
  if (!data || data.length === 0) throw new InvalidToken()
  try {
    const json = compressed ? inflateSync(data, { maxOutputLength: MAX_INFLATED_BYTES }) : data
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json))
  } catch {
    throw new InvalidToken()
  }
}
