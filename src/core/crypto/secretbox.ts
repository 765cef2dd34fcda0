import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { AuthError } from '../errors.ts'
import { deriveKey } from './kdf.ts'

/**
 * Authenticated encryption of short strings (private signing keys, a refresh grace
 * payload, provider tokens) under the server secret.
 *
 * Format `v1.<iv>.<ciphertext‖tag>` (base64url): AES-256-GCM, 96-bit random IV, 128-bit
 * tag. The key is HKDF-SHA256 of the secret with info "secretbox/v1:" + purpose, so a box
 * sealed for one purpose never opens for another; version and purpose are also bound as
 * associated data. The version prefix lets a later format coexist.
 *
 * Rotation (GATEHOUSE_PREVIOUS_SECRETS): given several secrets, the first seals and any
 * opens — MultiFernet's rule, kept on this format because it is stronger than Fernet here
 * (AEAD with the purpose bound, a 256-bit key). `rotate()` re-seals under the first.
 */
export interface SecretBox {
  seal(plaintext: string): string
  /** Throws AuthError('INVALID_TOKEN') when the box was tampered with, sealed for another purpose or under an unknown secret. */
  open(box: string): string
  /** Opens with any secret and tells whether the current one sealed it (false: rotate() it). */
  openWithInfo(box: string): { plaintext: string; current: boolean }
  /** Opens with any secret and seals again under the current one (MultiFernet.rotate). */
  rotate(box: string): string
}

/** One secret, or the current secret followed by previous ones (the first seals, any opens). */
export type SecretInput = string | Uint8Array | readonly (string | Uint8Array)[]

const VERSION = 'v1'
const B64URL = /^[A-Za-z0-9_-]+$/

/** The secrets of a SecretInput, current first; an empty list is a configuration error. */
export function secretList(secrets: SecretInput): (string | Uint8Array)[] {
  const list = typeof secrets === 'string' || secrets instanceof Uint8Array ? [secrets] : [...secrets]
  if (list.length === 0) throw new AuthError('CONFIG_INVALID', { message: 'secretbox: a secret is required' })
  return list
}

export function createSecretBox(secrets: SecretInput, purpose: string): SecretBox {
  if (!purpose) throw new AuthError('CONFIG_INVALID', { message: 'secretbox: a purpose label is required' })
  const keys = secretList(secrets).map((s) => deriveKey(s, `secretbox/${VERSION}:${purpose}`))
  const aad = Buffer.from(`${VERSION}:${purpose}`, 'utf8')

  const seal = (plaintext: string) => {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', keys[0]!, iv)
    cipher.setAAD(aad)
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
    return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`
  }
  const openWithInfo = (box: string) => {
    const { iv, body } = parseBox(box)
    for (let i = 0; i < keys.length; i++) {
      const plaintext = tryOpen(keys[i]!, aad, iv, body)
      if (plaintext !== null) return { plaintext, current: i === 0 }
    }
    throw new AuthError('INVALID_TOKEN', { message: 'Sealed data failed authentication.' })
  }
  return {
    seal,
    openWithInfo,
    open: (box) => openWithInfo(box).plaintext,
    rotate: (box) => seal(openWithInfo(box).plaintext),
  }
}

function parseBox(box: string): { iv: Buffer; body: Buffer } {
  const parts = typeof box === 'string' ? box.split('.') : []
  const [version, ivText, bodyText] = parts
  if (parts.length !== 3 || version !== VERSION || !B64URL.test(ivText ?? '') || !B64URL.test(bodyText ?? ''))
    throw new AuthError('INVALID_TOKEN', { message: 'Sealed data is malformed.' })
  const iv = Buffer.from(ivText!, 'base64url')
  const body = Buffer.from(bodyText!, 'base64url')
  if (iv.length !== 12 || body.length < 16)
    throw new AuthError('INVALID_TOKEN', { message: 'Sealed data is malformed.' })
  return { iv, body }
}

/** The plaintext, or null when this key does not authenticate the box. */
function tryOpen(key: Buffer, aad: Buffer, iv: Buffer, body: Buffer): string | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv)
    decipher.setAAD(aad)
    decipher.setAuthTag(body.subarray(body.length - 16))
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString(
      'utf8',
    )
  } catch {
    return null
  }
}
