export { type Clock, nowSeconds } from './clock.ts'
export {
  encryptFromParts,
  Fernet,
  type FernetDecryptOptions,
  type FernetOptions,
  MultiFernet,
} from './fernet.ts'
export { decryptFletAesGcm } from './flet-gcm.ts'
export { InvalidToken } from './invalid-token.ts'
export { type ItsdangerousOptions, verifyItsdangerous } from './itsdangerous.ts'
export { deriveKey } from './kdf.ts'
export {
  decrypt,
  encrypt,
  type PassphraseDecryptOptions,
  type PassphraseEncryptOptions,
  type PassphraseFormat,
} from './passphrase.ts'
export { constantTimeEqual, randomBase62, randomToken, sha256Hex } from './random.ts'
export { createSecretBox, type SecretBox } from './secretbox.ts'
export { type Secret, type SignOptions, sign, type VerifyOptions, verify } from './timed-tokens.ts'
