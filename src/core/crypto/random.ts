import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto'

/** `bytes` from the CSPRNG as unpadded base64url (16 bytes → 22 chars, 32 → 43). */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16)
    throw new RangeError('randomToken: at least 16 bytes (128 bits)')
  return randomBytes(bytes).toString('base64url')
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/**
 * `length` characters of [0-9A-Za-z], uniformly (randomInt rejects biased draws). For
 * identifiers that must survive double-click selection and `_`-separated formats.
 */
export function randomBase62(length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)]
  return out
}

/** SHA-256 of the UTF-8 text, lower-case hex. Used to store secrets so a leaked database leaks nothing live. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/**
 * Constant-time string equality. Both sides are hashed first, so the comparison takes
 * the same time whatever the lengths and wherever the first difference is.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest()
  const hb = createHash('sha256').update(b, 'utf8').digest()
  return timingSafeEqual(ha, hb)
}
