import { hkdfSync } from 'node:crypto'
import { AuthError } from '../errors.ts'

const SALT = 'gatehouse/kdf'
const MIN_SECRET_BYTES = 32

/**
 * A key for one purpose, derived from the server secret with HKDF-SHA256. Each purpose
 * gets an independent key, so a key used (or leaked) for one job is useless for another.
 */
export function deriveKey(secret: string | Uint8Array, purpose: string, bytes = 32): Buffer {
  const ikm = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret)
  if (ikm.length < MIN_SECRET_BYTES) {
    throw new AuthError('CONFIG_INVALID', {
      message: `secret: at least ${MIN_SECRET_BYTES} bytes are required`,
    })
  }
  if (!purpose) throw new AuthError('CONFIG_INVALID', { message: 'deriveKey: a purpose label is required' })
  return Buffer.from(hkdfSync('sha256', ikm, SALT, purpose, bytes))
}
