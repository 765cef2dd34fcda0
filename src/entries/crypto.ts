/**
 * Package entry point "gatehouse-auth/crypto" (`gatehouse-auth/crypto` once the package is renamed): what Flet ships beside its login, made
 * compatible and safer. Fernet and MultiFernet (byte-compatible with Python's
 * cryptography), passphrase `encrypt`/`decrypt` (our versioned envelope, and Flet's
 * format read and written), purpose-bound timed tokens (`sign`/`verify`), and
 * `verifyItsdangerous` for reset links minted by Flask apps. Every failure is InvalidToken.
 */
export type { Clock } from '../core/crypto/clock.ts'
export { Fernet, type FernetDecryptOptions, type FernetOptions, MultiFernet } from '../core/crypto/fernet.ts'
export { decryptFletAesGcm } from '../core/crypto/flet-gcm.ts'
export { InvalidToken } from '../core/crypto/invalid-token.ts'
export { type ItsdangerousOptions, verifyItsdangerous } from '../core/crypto/itsdangerous.ts'
export {
  decrypt,
  encrypt,
  type PassphraseDecryptOptions,
  type PassphraseEncryptOptions,
  type PassphraseFormat,
} from '../core/crypto/passphrase.ts'
export {
  type Secret,
  type SignOptions,
  sign,
  type VerifyOptions,
  verify,
} from '../core/crypto/timed-tokens.ts'
