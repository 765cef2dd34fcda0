export { deriveKey } from './kdf.ts'
export { constantTimeEqual, randomBase62, randomToken, sha256Hex } from './random.ts'
export { createSecretBox, type SecretBox } from './secretbox.ts'
