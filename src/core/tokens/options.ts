import type { KeyValueStore, SigningKeyStore } from '../../stores/contracts.ts'
import { type Clock, systemClock } from '../clock.ts'
import { AuthError } from '../errors.ts'
import type { AdditionalClaims } from './access.ts'
import { DEFAULT_CLOCK_SKEW } from './claims.ts'
import { SIGNING_ALGS, type SigningAlg } from './jws.ts'

/** Every option of the token service with its default, validated once; unknown keys are refused by name. */
export interface TokenServiceOptions {
  kv: KeyValueStore
  signingKeys: SigningKeyStore
  /** Server secret (≥ 32 bytes): encrypts the private signing keys and keys the refresh-token tags. */
  secret: string | Uint8Array
  /** `iss` of every token, and the only one accepted. */
  issuer: string
  /** `aud` of every token, and the only one accepted. */
  audience: string
  clock?: Clock
  /** Access-token lifetime, seconds. Default 900 (15 min). */
  accessTtl?: number
  /** Absolute lifetime of a refresh family, seconds. Default 2,592,000 (30 days). */
  refreshTtl?: number
  /** Algorithm of new signing keys. Default EdDSA (Ed25519). */
  alg?: SigningAlg
  /** Slack on exp (and nbf/iat), seconds (0–300). Default 0: a token is dead at its exp second. */
  leeway?: number
  /** Seconds nbf/iat may lie in the future (0–300), for instances whose clocks differ. Default 5. */
  clockSkew?: number
  /** Extra claims for the access token; may not set a reserved claim. */
  additionalClaims?: AdditionalClaims
  /**
   * Seconds after a refresh during which the token just spent returns the same successor
   * pair again — for a client whose response was lost to a network error (0–60). Default
   * 0: presenting a spent token again revokes its family. With a grace window the newest
   * pair is kept sealed (AES-256-GCM under the server secret) beside the family.
   */
  refreshGrace?: number
  /** How long the signing-key list is cached, ms. Default 60,000. */
  keyCacheMs?: number
  /**
   * Called when a spent refresh token is presented again (its family is already revoked):
   * the token was probably stolen, so the owner's other long-lived credentials should end.
   */
  onReuse?: (userId: string) => Promise<void>
  /**
   * Verified access tokens remembered so a token's signature is checked once, not on every
   * request (see verified-cache.ts). Default 10,000 entries; 0 turns it off.
   */
  verifyCacheSize?: number
}

const KNOWN = new Set([
  'kv',
  'signingKeys',
  'secret',
  'issuer',
  'audience',
  'clock',
  'accessTtl',
  'refreshTtl',
  'alg',
  'leeway',
  'clockSkew',
  'additionalClaims',
  'refreshGrace',
  'keyCacheMs',
  'onReuse',
  'verifyCacheSize',
])

function config(message: string): AuthError {
  return new AuthError('CONFIG_INVALID', { message })
}

function whole(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw config(`tokens.${name}: an integer from ${min} to ${max}`)
  }
  return value
}

export interface ResolvedTokenOptions {
  kv: KeyValueStore
  signingKeys: SigningKeyStore
  secret: string | Uint8Array
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
  const alg = options.alg ?? 'EdDSA'
  if (!SIGNING_ALGS.includes(alg)) throw config(`tokens.alg: one of ${SIGNING_ALGS.join(', ')}`)
  return {
    kv: options.kv,
    signingKeys: options.signingKeys,
    secret: options.secret,
    issuer: options.issuer,
    audience: options.audience,
    clock: options.clock ?? systemClock,
    accessTtl: whole('accessTtl', options.accessTtl ?? 900, 10, 86_400),
    refreshTtl: whole('refreshTtl', options.refreshTtl ?? 2_592_000, 60, 31_536_000),
    alg,
    leeway: whole('leeway', options.leeway ?? 0, 0, 300),
    clockSkew: whole('clockSkew', options.clockSkew ?? DEFAULT_CLOCK_SKEW, 0, 300),
    additionalClaims: options.additionalClaims,
    refreshGrace: whole('refreshGrace', options.refreshGrace ?? 0, 0, 60),
    keyCacheMs: whole('keyCacheMs', options.keyCacheMs ?? 60_000, 1_000, 3_600_000),
    verifyCacheSize: whole('verifyCacheSize', options.verifyCacheSize ?? 10_000, 0, 1_000_000),
  }
}
