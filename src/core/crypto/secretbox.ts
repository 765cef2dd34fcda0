import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { AuthError } from '../errors.ts'

/**
 * Authenticated encryption of short strings (private signing keys, a refresh grace
 * payload) under the server secret.
 *
 * Format `v1.<iv>.<ciphertext‖tag>` (base64url): AES-256-GCM, 96-bit random IV, 128-bit
 * tag. The key is HKDF-SHA256(secret, salt "gatehouse/secretbox", info "v1:" + purpose),
 * so a box sealed for one purpose never opens for another, and the version and purpose
 * are also bound as associated data. The version prefix lets a later format coexist.
 */
export interface SecretBox {
  seal(plaintext: string): string
  /** Throws AuthError('INVALID_TOKEN') when the box was tampered with, sealed for another purpose or under another secret. */
  open(box: string): string
}

const VERSION = 'v1'
const SALT = 'gatehouse/secretbox'
const MIN_SECRET_BYTES = 32
const B64URL = /^[A-Za-z0-9_-]+$/

export function createSecretBox(secret: string | Uint8Array, purpose: string): SecretBox {
  const ikm = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret)
  if (ikm.length < MIN_SECRET_BYTES) {
    throw new AuthError('CONFIG_INVALID', {
      message: `secret: at least ${MIN_SECRET_BYTES} bytes are required`,
    })
  }
  if (!purpose) throw new AuthError('CONFIG_INVALID', { message: 'secretbox: a purpose label is required' })
  const key = Buffer.from(hkdfSync('sha256', ikm, SALT, `${VERSION}:${purpose}`, 32))
  const aad = Buffer.from(`${VERSION}:${purpose}`, 'utf8')

  return {
    seal(plaintext) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(aad)
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
      return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`
    },
    open(box) {
      const parts = typeof box === 'string' ? box.split('.') : []
      const [version, ivText, bodyText] = parts
      if (
        parts.length !== 3 ||
        version !== VERSION ||
        !B64URL.test(ivText ?? '') ||
        !B64URL.test(bodyText ?? '')
      ) {
        throw new AuthError('INVALID_TOKEN', { message: 'Sealed data is malformed.' })
      }
      const iv = Buffer.from(ivText!, 'base64url')
      const body = Buffer.from(bodyText!, 'base64url')
      if (iv.length !== 12 || body.length < 16)
        throw new AuthError('INVALID_TOKEN', { message: 'Sealed data is malformed.' })
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv)
        decipher.setAAD(aad)
        decipher.setAuthTag(body.subarray(body.length - 16))
        return Buffer.concat([
          decipher.update(body.subarray(0, body.length - 16)),
          decipher.final(),
        ]).toString('utf8')
      } catch (cause) {
        throw new AuthError('INVALID_TOKEN', { message: 'Sealed data failed authentication.', cause })
      }
    },
  }
}
