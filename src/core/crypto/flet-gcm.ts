import { createDecipheriv, createHash } from 'node:crypto'
import { decodePadded } from './base64.ts'
import { InvalidToken } from './invalid-token.ts'
import { checkPassphrase, FLET_ITERATIONS, passphraseFernetKey, SALT_BYTES } from './passphrase-kdf.ts'

/**
 * Reads what Flet's `flet.security.encrypt_aes_gcm_256` wrote, so apps moving off Flet can
 * still open that data (re-encrypt it with `encrypt`; nothing here writes this format):
 *
 *   base64url_padded( salt[16] ‖ nonce[32] ‖ AES-256-GCM ciphertext ‖ tag[16] )
 *
 * Flet's AES key is the ASCII of the first 32 hex digits of sha256(Fernet key text), the
 * Fernet key being the passphrase's (passphrase-kdf.ts, 600,000 iterations): a 32-byte key
 * holding 128 bits. Any failure is InvalidToken.
 */

const NONCE_BYTES = 32
const TAG_BYTES = 16

export async function decryptFletAesGcm(encrypted: string, passphrase: string): Promise<string> {
  checkPassphrase(passphrase)
  const raw = typeof encrypted === 'string' ? decodePadded(encrypted) : undefined
  if (!raw || raw.length < SALT_BYTES + NONCE_BYTES + TAG_BYTES) throw new InvalidToken()
  const fernetKey = await passphraseFernetKey(passphrase, raw.subarray(0, SALT_BYTES), FLET_ITERATIONS)
  const aesKey = Buffer.from(
    createHash('sha256').update(fernetKey, 'ascii').digest('hex').slice(0, 32),
    'ascii',
  )
  const nonce = raw.subarray(SALT_BYTES, SALT_BYTES + NONCE_BYTES)
  try {
    const decipher = createDecipheriv('aes-256-gcm', aesKey, nonce, { authTagLength: TAG_BYTES })
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES))
    const plain = Buffer.concat([
      decipher.update(raw.subarray(SALT_BYTES + NONCE_BYTES, raw.length - TAG_BYTES)),
      decipher.final(),
    ])
    return new TextDecoder('utf-8', { fatal: true }).decode(plain)
  } catch {
    throw new InvalidToken()
  }
}
