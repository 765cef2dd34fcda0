export {
  type ApiKeyFormat,
  type CreateApiKeyInput,
  createApiKey,
  hasScopes,
  listApiKeys,
  type PublicApiKey,
  revokeApiKey,
  verifyApiKey,
} from '../methods/api-keys/keys.ts'
export {
  ACCESS_TOKEN_KIND,
  ACCESS_TOKEN_TYP,
  type AccessClaims,
  type AdditionalClaims,
  RESERVED_CLAIMS,
} from './access.ts'
export { isCanonicalBase64url } from './base64url.ts'
export type { JwsAlg, SigningAlg, VerificationKey } from './jws.ts'
export { createKeyRing, type KeyRing, type KeyRingOptions } from './keys.ts'
export { createAccessTokenVerifier, type RemoteVerifyOptions, verifyAccessToken } from './remote.ts'
export {
  createTokenService,
  type LoadUser,
  type TokenPair,
  type TokenService,
  type TokenServiceOptions,
} from './service.ts'
export {
  type ExplicitKey,
  type JwtRules,
  type VerifiedJwt,
  verifyJwsWithKey,
  verifyJwtWithKey,
} from './verify.ts'
