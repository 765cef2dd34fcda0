import type { InvalidationBus, KeyValueStore, SigningKeyStore } from '../../stores/contracts.ts'
import { type Clock, systemClock } from '../clock.ts'
import type { SecretInput } from '../crypto/secretbox.ts'
import { AuthError } from '../errors.ts'
import { DEFAULT_TOKEN_ALG, TOKEN_LIMITS, type TokenLimit } from '../options.ts'
import type { AdditionalClaims } from './access.ts'
import { SIGNING_ALGS, type SigningAlg } from './jws.ts'

/**
 * Every option of the token service, validated once; unknown keys are refused by name.
 * Defaults and ranges are TOKEN_LIMITS in ../options.ts, the same ones createAuth applies.
 */
export interface TokenServiceOptions {
  kv: KeyValueStore
  signingKeys: SigningKeyStore
  /**
   * Server secret (≥ 32 bytes): encrypts the private signing keys and keys the refresh-token
   * tags. A list is the current secret followed by previous ones: the first seals and tags,
   * any opens and verifies (rotation, GATEHOUSE_PREVIOUS_SECRETS).
   */
  secret: SecretInput
  /** `iss` of every token, and the only one accepted. */
  issuer: string
  /** `aud` of every token, and the only one accepted. */
  audience: string
  clock?: Clock
  /** Access-token lifetime, seconds. */
  accessTtl?: number
  /** Absolute lifetime of a refresh family, seconds. */
  refreshTtl?: number
  /** Algorithm of new signing keys. */
  alg?: SigningAlg
  /** Slack on exp (and nbf/iat), seconds. 0: a token is dead at its exp second. */
  leeway?: number
  /** Seconds nbf/iat may lie in the future, for instances whose clocks differ. */
  clockSkew?: number
  /** Extra claims for the access token; may not set a reserved claim. */
  additionalClaims?: AdditionalClaims
  /**
   * Seconds after a refresh during which the token just spent returns the same successor
   * pair again — for a client whose response was lost to a network error. 0: presenting
   * a spent token again revokes its family. With a grace window the newest
   * pair is kept sealed (AES-256-GCM under the server secret) beside the family.
   */
  refreshGrace?: number
  /** How long the signing-key list is cached, ms. */
  keyCacheMs?: number
  /**
   * Called when a spent refresh token is presented again (its family is already revoked):
   * the token was probably stolen, so the owner's other long-lived credentials should end.
   */
  onReuse?: (userId: string) => Promise<void>
  /**
   * Verified access tokens remembered so a token's signature is checked once, not on every
   * request (see verified-cache.ts). 0 turns it off.
   */
  verifyCacheSize?: number
  /**
   * The stores' invalidation channel: revocation state and signing keys are then held in
   * memory and dropped the moment another process changes them. Absent: a KV read per check.
   */
  invalidation?: InvalidationBus
}

/** The service's option names: the numbers of TOKEN_LIMITS and the rest. */
const KNOWN = new Set<string>([
  ...Object.keys(TOKEN_LIMITS),
  'kv',
  'signingKeys',
  'secret',
  'issuer',
  'audience',
  'clock',
  'alg',
  'additionalClaims',
  'onReuse',
  'invalidation',
])

function config(message: string): AuthError {
  return new AuthError('CONFIG_INVALID', { message })
}

/** The option, or its default, if it is a whole number within its TOKEN_LIMITS range. */
function whole(options: TokenServiceOptions, name: keyof typeof TOKEN_LIMITS): number {
  const { min, max, default: fallback }: TokenLimit = TOKEN_LIMITS[name]
  const value = options[name] ?? fallback
  if (!Number.isInteger(value) || value < min || value > max) {
    throw config(`tokens.${name}: an integer from ${min} to ${max}`)
  }
  return value
}

export interface ResolvedTokenOptions {
  kv: KeyValueStore
  signingKeys: SigningKeyStore
  secret: SecretInput
  issuer: string
  audience: string
  clock: Clock
  accessTtl: number
  refreshTtl: number
  alg: SigningAlg
  leeway: number
  clockSkew: number
  additionalClaims: AdditionalClaims | undefined
  refreshGrace: number
  keyCacheMs: number
  verifyCacheSize: number
}

export function resolveTokenOptions(options: TokenServiceOptions): ResolvedTokenOptions {
  for (const name of Object.keys(options))
    if (!KNOWN.has(name)) throw config(`tokens.${name}: unknown option`)
  if (typeof options.issuer !== 'string' || !options.issuer) throw config('tokens.issuer: required')
  if (typeof options.audience !== 'string' || !options.audience) throw config('tokens.audience: required')
  const alg = options.alg ?? DEFAULT_TOKEN_ALG
  if (!SIGNING_ALGS.includes(alg)) throw config(`tokens.alg: one of ${SIGNING_ALGS.join(', ')}`)
  return {
    kv: options.kv,
    signingKeys: options.signingKeys,
    secret: options.secret,
    issuer: options.issuer,
    audience: options.audience,
    clock: options.clock ?? systemClock,
    accessTtl: whole(options, 'accessTtl'),
    refreshTtl: whole(options, 'refreshTtl'),
    alg,
    leeway: whole(options, 'leeway'),
    clockSkew: whole(options, 'clockSkew'),
    additionalClaims: options.additionalClaims,
    refreshGrace: whole(options, 'refreshGrace'),
    keyCacheMs: whole(options, 'keyCacheMs'),
    verifyCacheSize: whole(options, 'verifyCacheSize'),
  }
}
