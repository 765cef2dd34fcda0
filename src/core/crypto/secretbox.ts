import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { AuthError } from '../errors.ts'
import { deriveKey } from './kdf.ts'

/**
 * Authenticated encryption of short strings (private signing keys, a refresh grace
 * payload) under the server secret.
 *
 * Format `v1.<iv>.<ciphertext‖tag>` (base64url): AES-256-GCM, 96-bit random IV, 128-bit
 * tag. The key is HKDF-SHA256 of the secret with info "secretbox/v1:" + purpose, so a box
 * sealed for one purpose never opens for another; version and purpose are also bound as
 * associated data. The version prefix lets a later format coexist.
 */
export interface SecretBox {
  seal(plaintext: string): string
  /** Throws AuthError('INVALID_TOKEN') when the box was tampered with, sealed for another purpose or under another secret. */
  open(box: string): string
}

const VERSION = 'v1'
const B64URL = /^[A-Za-z0-9_-]+$/

export function createSecretBox(secret: string | Uint8Array, purpose: string): SecretBox {
  if (!purpose) throw new AuthError('CONFIG_INVALID', { message: 'secretbox: a purpose label is required' })
  const key = deriveKey(secret, `secretbox/${VERSION}:${purpose}`)
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
