import { availableParallelism } from 'node:os'
import { z } from 'zod'
import type { Stores } from '../stores/contracts.ts'
import type { Clock } from './clock.ts'
import { AuthError } from './errors.ts'
import type { Logger } from './logger.ts'
import { DEFAULT_ARGON2_PARAMS, DEFAULT_MAX_PASSWORD_BYTES } from './methods/password/hashing/params.ts'
import type { AuthModule } from './module.ts'
import { mountOptions } from './mount-options.ts'
import { sessionSchema } from './session-options.ts'
import type { AdditionalClaims } from './tokens/access.ts'
import { DEFAULT_CLOCK_SKEW } from './tokens/claims.ts'
import { SIGNING_ALGS } from './tokens/jws.ts'

/**
 * Every option of createAuth, with its default, in one place. Parsed once; unknown keys
 * are rejected with their path so a typo never silently falls back to a default.
 * Durations are in seconds.
 */
const seconds = z.number().int().positive()

const passwordSchema = z.strictObject({
  /** NIST 800-63B: at least 8; recommend 15 when the password is the only factor. */
  minLength: z.number().int().min(8).max(64).default(8),
  /** Code points; at least 64 must be accepted. */
  maxLength: z.number().int().min(64).max(1024).default(1024),
  /** Hard cap on bytes, checked before any hashing work. */
  maxBytes: z.number().int().min(256).max(65536).default(DEFAULT_MAX_PASSWORD_BYTES),
  /** Reject the most common passwords (ASVS 6.2.4). */
  rejectCommon: z.boolean().default(true),
  /** argon2id parameters; default OWASP's m=19456 KiB, t=2, p=1 (the hasher's own defaults). */
  memoryCost: z.number().int().min(8192).default(DEFAULT_ARGON2_PARAMS.memoryCost),
  timeCost: z.number().int().min(1).default(DEFAULT_ARGON2_PARAMS.timeCost),
  parallelism: z.number().int().min(1).default(DEFAULT_ARGON2_PARAMS.parallelism),
  /**
   * Concurrent hashes. Default: one fewer than the CPU cores (at least 1), so hashing never
   * takes the core the event loop needs to serve already-authenticated requests.
   */
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(Math.max(1, availableParallelism() - 1)),
  /** Logins waiting for a hashing slot; past this, 503 with Retry-After at once. */
  maxWaiting: z.number().int().min(0).default(32),
})

const signupSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Source of a RegExp for usernames. */
  usernamePattern: z.string().default('^[A-Za-z0-9_]{3,32}$'),
  /** Roles given to every new account. */
  defaultRoles: z.array(z.string()).default(['user']),
  /** Answer a duplicate sign-up with one generic ACCOUNT_EXISTS instead of naming the field. */
  enumerationProtection: z.boolean().default(false),
  /** Sign-ups per client IP (IPv6 by /64) per hour; slows scripted account checks and spam. 0 = no limit. */
  perIpPerHour: z.number().int().min(0).default(20),
})

const limitSchema = z.strictObject({ points: z.number().int().positive(), duration: seconds })

const throttleSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Failed logins per client IP (IPv6 grouped by /64). */
  ip: limitSchema.default({ points: 50, duration: 15 * 60 }),
  /** Failed logins per account from devices that never logged in to it. */
  account: limitSchema.default({ points: 10, duration: 15 * 60 }),
  /** Failed logins per account from one known device (its own budget: attackers cannot exhaust it). */
  device: limitSchema.default({ points: 10, duration: 15 * 60 }),
})

const csrfSchema = z.strictObject({
  /** Extra origins allowed to send unsafe requests with the session cookie. */
  trustedOrigins: z.array(z.url()).default([]),
  /** Apps on other origins: allowed unsafe requests only when they carry no Cookie header. */
  appOrigins: z.array(z.url()).default([]),
})

/**
 * The token service's numbers, each with its default and accepted range. createAuth's
 * `tokens` section below and createTokenService (usable on its own, tokens/options.ts) both
 * read them here, so the two cannot drift apart. Seconds unless the name says ms.
 */
export const TOKEN_LIMITS = {
  accessTtl: { default: 15 * 60, min: 10, max: 24 * 3600 },
  /** Absolute lifetime of a refresh-token family. */
  refreshTtl: { default: 30 * 24 * 3600, min: 60, max: 365 * 24 * 3600 },
  /** Slack on exp (and nbf/iat). 0: an access token is dead at its exp second. */
  leeway: { default: 0, min: 0, max: 300 },
  /** Future nbf/iat accepted, for instances whose clocks are a little apart. */
  clockSkew: { default: DEFAULT_CLOCK_SKEW, min: 0, max: 300 },
  /** A just-spent refresh token returns the same successor this long. 0 = reuse revokes. */
  refreshGrace: { default: 0, min: 0, max: 60 },
  /** How long the signing-key list is cached (token service only). */
  keyCacheMs: { default: 60_000, min: 1_000, max: 3_600_000 },
  /** Verified access tokens remembered; 0 turns the cache off (token service only). */
  verifyCacheSize: { default: 10_000, min: 0, max: 1_000_000 },
} as const

/** Algorithm of new signing keys: Ed25519. */
export const DEFAULT_TOKEN_ALG = 'EdDSA' as const

export type TokenLimit = (typeof TOKEN_LIMITS)[keyof typeof TOKEN_LIMITS]

/** A whole number within one of TOKEN_LIMITS, defaulting to its default. */
const withinLimit = (limit: TokenLimit) =>
  z.number().int().min(limit.min).max(limit.max).default(limit.default)

const tokensSchema = z.strictObject({
  /** JWT access + rotating refresh tokens and API keys (Authorization: Bearer / ApiKey). */
  enabled: z.boolean().default(true),
  /** `iss` of every token; default the public URL's origin. */
  issuer: z.string().min(1).optional(),
  /** `aud` of every token; default the public URL's origin. */
  audience: z.string().min(1).optional(),
  accessTtl: withinLimit(TOKEN_LIMITS.accessTtl),
  /** Absolute lifetime of a refresh-token family. */
  refreshTtl: withinLimit(TOKEN_LIMITS.refreshTtl),
  alg: z.enum(SIGNING_ALGS).default(DEFAULT_TOKEN_ALG),
  /** Slack on exp (and nbf/iat), seconds. 0: an access token is dead at its exp second. */
  leeway: withinLimit(TOKEN_LIMITS.leeway),
  /**
   * Seconds an access token's nbf/iat may lie in the future: instances whose clocks are a
   * little apart must accept each other's fresh tokens. exp stays strict (see `leeway`).
   */
  clockSkew: withinLimit(TOKEN_LIMITS.clockSkew),
  /** Seconds in which a just-spent refresh token returns the same successor (lost responses). 0 = reuse revokes. */
  refreshGrace: withinLimit(TOKEN_LIMITS.refreshGrace),
  /** Flask-JWT-Extended's additional_claims_loader: `(user) => ({ … })`; reserved claims are refused. */
  additionalClaims: z.custom<AdditionalClaims>((v) => typeof v === 'function').optional(),
  /**
   * Where access tokens are read: the Authorization header, and optionally cookies set at
   * login — then every unsafe request must echo the CSRF cookie in X-CSRF-Token
   * (Flask-JWT-Extended's double submit).
   */
  location: z
    .array(z.enum(['headers', 'cookies']))
    .min(1)
    .default(['headers']),
  /**
   * Minting an API key (a long-lived credential) needs a recent proof of the password: a
   * session or fresh token from a login at most this many seconds ago, or the password again.
   */
  apiKeyFreshLogin: seconds.max(3600).default(300),
  /** Prefix of API keys, so secret scanners can match them. */
  apiKeyPrefix: z
    .string()
    .regex(/^[a-z]{2,8}_$/)
    .default('gh_'),
  /** Unexpired API keys one user may hold; creating one more answers 409 API_KEY_LIMIT. */
  maxApiKeysPerUser: z.number().int().min(1).max(10_000).default(50),
})

/**
 * Defaults of AccountRecovery (recovery.ts), which the server builds beside createAuth.
 * Seconds for the TTLs. Constants, not createAuth options: recovery is configured where it
 * is constructed, and createAuth keeps refusing keys it does not use.
 */
export const RECOVERY_DEFAULTS = {
  /** A password-reset link works this long. */
  resetTtl: 60 * 60,
  /** An email-verification link works this long. */
  verifyTtl: 24 * 60 * 60,
  /** Reset requests per client IP per hour (429 past it). */
  perIpPerHour: 20,
  /** Reset mails per address per hour (silently dropped past it). */
  perAddressPerHour: 3,
  /** Verification mails a user may ask for per hour. */
  resendPerHour: 5,
} as const

/** Defaults of DeviceUnlock (device-unlock.ts): the "sign in from a new device" link. */
export const DEVICE_UNLOCK_DEFAULTS = {
  /** The link works this long, seconds. */
  ttl: 15 * 60,
  perIpPerHour: 20,
  perAddressPerHour: 3,
} as const

/** Where development files live unless told; the server's SQLite file defaults to it too. */
export const DEFAULT_DATA_DIR = './data'

const rolesDefault = {
  user: ['profile:read', 'profile:write'],
  editor: ['profile:read', 'profile:write', 'content:read', 'content:write'],
  admin: ['*'],
}

const schema = z.strictObject({
  /** Signs CSRF tokens, device cookies, and encrypts keys. At least 32 characters. */
  secret: z.string().optional(),
  /** Secrets used before `secret`: what they sealed or tagged still opens; nothing new uses them. */
  previousSecrets: z.array(z.string()).default([]),
  mode: z.enum(['development', 'production', 'test']).optional(),
  /** The one source of absolute links and of the allowed Origin; never the Host header. */
  publicUrl: z.url().default('http://localhost:8000'),
  /** Where development files live (generated secret, SQLite file). */
  dataDir: z.string().default(DEFAULT_DATA_DIR),
  /** Default: DATABASE_URL, else SQLite in <dataDir>/gatehouse.db — the CLI's (src/entries/wiring.ts). */
  stores: z
    .custom<Stores>((v) => typeof v === 'object' && v !== null && 'users' in v && 'sessions' in v, {
      message: 'must be a Stores object (createSqlStores, createMemoryStores, …)',
    })
    .optional(),
  ...mountOptions,
  clock: z.custom<Clock>((v) => typeof v === 'function').optional(),
  /** Where loginRequired() sends HTML requests. */
  loginPath: z.string().startsWith('/').default('/login'),
  /** Where a login goes when `next` is absent or unsafe. */
  defaultRedirect: z.string().startsWith('/').default('/'),
  /** Role name → permissions ('*' = every permission; 'content:*' = every content permission). */
  roles: z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/), z.array(z.string())).default(rolesDefault),
  session: sessionSchema.prefault({}),
  password: passwordSchema.prefault({}),
  signup: signupSchema.prefault({}),
  throttle: throttleSchema.prefault({}),
  csrf: csrfSchema.prefault({}),
  tokens: tokensSchema.prefault({}),
  /**
   * Email verification: `off`; `optional` (a link is mailed, nothing waits for it);
   * `required` (the sign-in pipeline refuses an unverified address with EMAIL_NOT_VERIFIED).
   */
  emailVerification: z.enum(['off', 'optional', 'required']).default('off'),
  /** Sign-in methods and features beyond the built-in ones (module.ts). */
  modules: z
    .array(
      z.custom<AuthModule>(
        (v) => typeof v === 'object' && v !== null && typeof (v as AuthModule).id === 'string',
      ),
    )
    .default([]),
  /** Where warnings go; default console. */
  logger: z
    .custom<Logger>((v) => typeof v === 'object' && v !== null && typeof (v as Logger).warn === 'function')
    .optional(),
})

export type { Logger }

export type AuthOptions = z.input<typeof schema>
export type ParsedOptions = z.output<typeof schema>

/** Options after validation, with derived values computed once. */
export interface ResolvedOptions
  extends Omit<ParsedOptions, 'secret' | 'mode' | 'clock' | 'logger' | 'stores'> {
  stores: Stores
  secret: string
  /** `secret` then `previousSecrets`: hand this to createSecretBox for data at rest (the first seals, any opens). */
  secrets: readonly string[]
  mode: 'development' | 'production' | 'test'
  clock: Clock
  logger: Logger
  /** `https:` public URL → Secure + `__Host-` cookies, HSTS. */
  secure: boolean
  /** Origin of the public URL, e.g. https://auth.example.com */
  origin: string
  usernameRegExp: RegExp
}

export const MIN_SECRET_LENGTH = 32

/** Validates options; throws AuthError CONFIG_INVALID naming the first bad path. */
export function parseOptions(input: unknown): ParsedOptions {
  const result = schema.safeParse(input)
  if (!result.success) {
    const issue = result.error.issues[0]!
    const base = issue.path.join('.')
    const where =
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((k) => (base ? `${base}.${k}` : k)).join(', ')
        : base || '(root)'
    const what = issue.code === 'unrecognized_keys' ? 'unknown option' : issue.message
    throw new AuthError('CONFIG_INVALID', { message: `Invalid Gatehouse option "${where}": ${what}` })
  }
  return result.data
}
