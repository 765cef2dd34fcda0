export { BCRYPT_MAX_PASSWORD_BYTES } from './bcrypt.ts'
export { isCommonPassword } from './common.ts'
export { hashPassword } from './hash.ts'
export { PasswordHasher, type PasswordHasherOptions } from './hasher.ts'
export {
  type Argon2Params,
  DEFAULT_ARGON2_PARAMS,
  DEFAULT_MAX_PASSWORD_BYTES,
  resolveArgon2Params,
  STORED_HASH_LIMITS,
} from './params.ts'
export {
  checkPasswordPolicy,
  PASSWORD_POLICY_DEFAULTS,
  type PasswordPolicyOptions,
  type PasswordPolicyReason,
  type PasswordPolicyResult,
} from './policy.ts'
export { AdmissionQueue, type AdmissionQueueOptions } from './queue.ts'
export { type HashScheme, hashScheme, needsRehash, type VerifyResult, verifyPassword } from './verify.ts'
