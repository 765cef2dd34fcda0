/**
 * Canonical base64url, as RFC 7515 §2 requires of every JWS segment: only [A-Za-z0-9_-],
 * no padding, no whitespace, and zero unused bits in the last character.
 *
 * jose 6 on Node 20 decodes with `atob`, which is lenient (it drops whitespace, accepts
 * `=` padding and ignores non-zero trailing bits), so the same signature can be spelt
 * several ways. Gatehouse checks this first, so a token has exactly one accepted spelling.
 */
const ALPHABET = /^[A-Za-z0-9_-]*$/
const INDEX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

export function isCanonicalBase64url(text: string): boolean {
  if (!ALPHABET.test(text)) return false
  const rest = text.length % 4
  if (rest === 1) return false
  if (rest === 0) return true
  // 2 chars carry 1 byte (4 spare bits), 3 chars carry 2 bytes (2 spare bits): the spare bits must be 0.
  const last = INDEX.indexOf(text[text.length - 1]!)
  return (last & (rest === 2 ? 0b1111 : 0b11)) === 0
}

/** Decodes canonical base64url; null for anything else. */
export function decodeBase64url(text: string): Uint8Array | null {
  return isCanonicalBase64url(text) ? new Uint8Array(Buffer.from(text, 'base64url')) : null
}

export function encodeBase64url(bytes: Uint8Array | string): string {
  return (typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes)).toString('base64url')
}
