import { createHmac, timingSafeEqual } from 'node:crypto'
import { AuthError } from '../errors.ts'
import { decodeUrlNoPad } from './base64.ts'
import { type Clock, nowSeconds } from './clock.ts'
import { InvalidToken } from './invalid-token.ts'
import { deriveKey } from './kdf.ts'

/**
 * Signed, expiring, purpose-bound tokens for apps (a link in an email, an unsubscribe
 * URL): the payload is readable by anyone holding the token, never changeable, and only
 * good for the purpose it was made for, until it expires.
 *
 *   gt1.<base64url(JSON payload)>.<expiry, unix seconds>.<base64url(HMAC-SHA256)>
 *
 * The HMAC covers everything before the last '.', so the expiry is signed. Its key is
 * HKDF(secret, "timed-token/gt1:" + purpose), so a token made for one purpose fails for
 * every other. Verification checks the MAC (constant time) before it reads anything;
 * every failure is InvalidToken. Single use, where needed, is the caller's job (store the
 * token's hash once spent).
 */

export type Secret = string | Uint8Array

export interface SignOptions {
  /** The server secret, at least 32 bytes. */
  secret: Secret
  /** What the token is for, e.g. 'email-verify'; a token only verifies for this purpose. */
  purpose: string
  /** Seconds from now, a positive integer. */
  expiresIn: number
  clock?: Clock
}

export interface VerifyOptions {
  /** The secret, or several during a rotation (any one may match). */
  secret: Secret | readonly Secret[]
  purpose: string
  clock?: Clock
}

const VERSION = 'gt1'
const DECIMAL = /^[1-9][0-9]{0,15}$/
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/

function keyFor(secret: Secret, purpose: string): Buffer {
  // An empty purpose would give every unlabelled caller one shared key; deriveKey refuses a short secret.
  if (typeof purpose !== 'string' || purpose === '')
    throw new AuthError('CONFIG_INVALID', { message: 'timed tokens: a purpose label is required' })
  return deriveKey(secret, `timed-token/${VERSION}:${purpose}`)
}

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body, 'ascii').digest('base64url')
}

export function sign(payload: unknown, options: SignOptions): string {
  const key = keyFor(options.secret, options.purpose)
  const { expiresIn } = options
  if (!Number.isSafeInteger(expiresIn) || expiresIn <= 0)
    throw new RangeError('sign: expiresIn must be a positive integer number of seconds')
  const json = JSON.stringify(payload)
  if (json === undefined) throw new TypeError('sign: the payload must be JSON-serialisable')
  const expires = nowSeconds(options.clock ?? Date.now) + expiresIn
  const body = `${VERSION}.${Buffer.from(json, 'utf8').toString('base64url')}.${expires}`
  return `${body}.${mac(key, body)}`
}

/** The payload of a token made by `sign` with this secret and purpose that has not expired. */
export function verify<T = unknown>(token: string, options: VerifyOptions): T {
  const secrets: readonly Secret[] = Array.isArray(options.secret)
    ? options.secret
    : [options.secret as Secret]
  if (secrets.length === 0) throw new RangeError('verify: at least one secret is required')
  const keys = secrets.map((s) => keyFor(s, options.purpose))
  const now = nowSeconds(options.clock ?? Date.now)

  const parts = typeof token === 'string' ? token.split('.') : []
  const [version, payload, expires, signature] = parts as [string, string, string, string]
  if (parts.length !== 4 || version !== VERSION || !DECIMAL.test(expires) || !SIGNATURE.test(signature))
    throw new InvalidToken()
  const body = token.slice(0, token.length - signature.length - 1)
  const given = Buffer.from(signature, 'ascii')
  // Every key is tried, whichever matches, so the time taken says nothing about which did.
  let valid = false
  for (const key of keys) valid = timingSafeEqual(Buffer.from(mac(key, body), 'ascii'), given) || valid
  // Expired when now reaches the expiry (as JWT's exp).
  if (!valid || now >= Number(expires)) throw new InvalidToken()
  const json = decodeUrlNoPad(payload)
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json)) as T
  } catch {
    throw new InvalidToken()
  }
}
