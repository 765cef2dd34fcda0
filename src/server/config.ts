import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { AuthError } from '../core/errors.ts'
import { DEFAULT_DATA_DIR } from '../core/options.ts'
import { oauthFromEnv } from './oauth-config.ts'

const TRUE = new Set(['true', '1', 'yes', 'on'])
const FALSE = new Set(['false', '0', 'no', 'off'])
const BOOLEAN_EXPECTED = 'expected true/1/yes/on or false/0/no/off'

/**
 * A yes/no setting. Strict on purpose: `z.coerce.boolean()` turns the string "false" into
 * true, and a setting like GATEHOUSE_TRUST_PROXY=false must never switch a protection off.
 * JSON config files may give a real boolean.
 */
export const booleanSetting = z.unknown().transform((value, ctx): boolean => {
  if (typeof value === 'boolean') return value
  const text = typeof value === 'string' ? value.trim().toLowerCase() : ''
  if (TRUE.has(text)) return true
  if (FALSE.has(text)) return false
  ctx.addIssue({ code: 'custom', message: BOOLEAN_EXPECTED })
  return z.NEVER
})

/** Decimal digits, no sign, no leading zero: what a person means by a port or a count. */
const DECIMAL = /^(0|[1-9][0-9]{0,14})$/

/**
 * A whole-number setting from min to max. Strict on purpose: `z.coerce.number()` takes
 * '' and ' ' for 0, '0x10' for 16 and '1e3' for 1000, so a typo would silently pick another
 * port. Only decimal digits are read (surrounding spaces included: refused, not trimmed);
 * JSON config files may give a real number.
 */
export function numberSetting(min: number, max: number) {
  return z.unknown().transform((value, ctx): number => {
    const n =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && DECIMAL.test(value)
          ? Number(value)
          : NaN
    if (Number.isSafeInteger(n) && n >= min && n <= max) return n
    ctx.addIssue({
      code: 'custom',
      message: `expected a whole number from ${min} to ${max} (decimal digits only)`,
    })
    return z.NEVER
  })
}

/** One setting given outside the environment and config file (a command-line flag), checked the same way. */
export function readSetting<T>(setting: z.ZodType<T>, name: string, source: string, value: unknown): T {
  const result = setting.safeParse(value)
  if (result.success) return result.data
  throw new AuthError('CONFIG_INVALID', {
    message: `Invalid server setting "${name}" (${source}): ${result.error.issues[0]!.message}`,
  })
}

export const portSetting = numberSetting(0, 65535)

/**
 * Secrets used before GATEHOUSE_SECRET, newest first: a comma list in the environment, a list
 * in the config file. An empty entry (`a,,b`, a trailing comma) is refused: it is a typo that
 * would otherwise drop a secret still needed to open data.
 */
const secretListSetting = z.unknown().transform((value, ctx): string[] => {
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value
  if (Array.isArray(list) && list.every((s) => typeof s === 'string' && s.trim() !== '')) return list
  ctx.addIssue({ code: 'custom', message: 'expected a comma-separated list of secrets, no empty entry' })
  return z.NEVER
})

/**
 * The server's settings: environment variables first, then an optional JSON file
 * (GATEHOUSE_CONFIG or --config), then these defaults. Validated once; unknown keys fail.
 */
const schema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: portSetting.default(8000),
  /** The only source of absolute links and of the allowed Origin. Default http://localhost:<port>. */
  publicUrl: z.url().optional(),
  secret: z.string().optional(),
  /** GATEHOUSE_PREVIOUS_SECRETS: what they sealed (signing keys, refresh tokens) still opens after a secret change. */
  previousSecrets: secretListSetting.default([]),
  mode: z.enum(['development', 'production', 'test']).optional(),
  /** Also the core's dataDir (its default: the server derives the database path from it). */
  dataDir: z.string().default(DEFAULT_DATA_DIR),
  /** sqlite:<path> (default <dataDir>/gatehouse.db) or postgres://… */
  databaseUrl: z
    .string()
    .refine((url) => /^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(url), {
      message: 'expected sqlite:<path>, postgres://… or postgresql://…',
    })
    .optional(),
  /** redis://… — sessions, one-time tokens, throttling shared across instances. */
  redisUrl: z
    .string()
    .refine(isRedisUrl, { message: 'expected redis://[:password@]host[:port][/db] or rediss://…' })
    .optional(),
  /** Put before every Redis key, so several deployments can share one Redis. */
  redisPrefix: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/)
    .default('gatehouse:'),
  /** smtp://user:pass@host:port; unset → development outbox. */
  smtpUrl: z.string().optional(),
  mailFrom: z.string().default('Gatehouse <no-reply@localhost>'),
  appName: z.string().min(1).max(60).default('Gatehouse'),
  /** Branding: the pages' primary colour, #rgb or #rrggbb (buttons, links, focus ring). */
  primaryColor: z
    .string()
    .regex(/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, { message: 'expected a hex colour like #0f766e' })
    .default('#4f46e5'),
  /** Branding: a logo shown in the header, an https URL (or /path on this server). */
  logoUrl: z
    .string()
    .refine((v) => /^\/[^/\\]/.test(v) || isHttpsUrl(v), { message: 'expected an https:// URL or a /path' })
    .optional(),
  /** Branding: a local logo file (.svg, .png, .jpg, .webp), served at /static/logo. Read once at start. */
  logoFile: z
    .string()
    .refine((v) => /\.(svg|png|jpe?g|webp)$/i.test(v), {
      message: 'expected a .svg, .png, .jpg or .webp file',
    })
    .optional(),
  /** Email verification at sign-up. */
  emailVerification: z.enum(['off', 'optional', 'required']).default('optional'),
  /** Trust X-Forwarded-For from a reverse proxy for the client IP. */
  trustProxy: booleanSetting.default(false),
  /** On SIGTERM/SIGINT, how long in-flight requests may take to finish before their connections are closed. */
  shutdownGraceSeconds: numberSetting(0, 3600).default(10),
  /** Start-up checks that only warn (an unreachable SMTP server) fail the start instead. */
  strict: booleanSetting.default(false),
  /** Extra createAuth options (session, password, throttle, signup, roles, csrf, tokens…). */
  auth: z.record(z.string(), z.unknown()).default({}),
  /** Sign-in providers: the variables of API.md "Sign-in with providers" by name (oauth-config.ts). */
  oauth: z.record(z.string(), z.unknown()).default({}),
})

export type ServerConfig = z.output<typeof schema> & {
  databaseUrl: string
  publicUrl: string
  /** The public URL is the default http://localhost:<port> (no PUBLIC_URL): it follows the port actually bound. */
  publicUrlIsDefault?: boolean
}

const ENV: Record<string, keyof z.input<typeof schema>> = {
  HOST: 'host',
  PORT: 'port',
  PUBLIC_URL: 'publicUrl',
  GATEHOUSE_SECRET: 'secret',
  GATEHOUSE_PREVIOUS_SECRETS: 'previousSecrets',
  GATEHOUSE_MODE: 'mode',
  GATEHOUSE_DATA_DIR: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  REDIS_URL: 'redisUrl',
  GATEHOUSE_REDIS_PREFIX: 'redisPrefix',
  SMTP_URL: 'smtpUrl',
  MAIL_FROM: 'mailFrom',
  GATEHOUSE_APP_NAME: 'appName',
  GATEHOUSE_PRIMARY_COLOR: 'primaryColor',
  GATEHOUSE_LOGO_URL: 'logoUrl',
  GATEHOUSE_LOGO_FILE: 'logoFile',
  GATEHOUSE_EMAIL_VERIFICATION: 'emailVerification',
  GATEHOUSE_TRUST_PROXY: 'trustProxy',
  GATEHOUSE_SHUTDOWN_GRACE_SECONDS: 'shutdownGraceSeconds',
  GATEHOUSE_STRICT: 'strict',
}

export function loadServerConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Record<string, unknown> = {},
): ServerConfig {
  const file = (overrides.configFile as string | undefined) ?? env.GATEHOUSE_CONFIG
  const fromFile = file ? readConfigFile(file) : {}
  const fromEnv: Record<string, unknown> = {}
  for (const [name, key] of Object.entries(ENV)) {
    const value = env[name]
    if (value !== undefined && value !== '') fromEnv[key] = value
  }
  if (!fromEnv.mode && env.NODE_ENV === 'production') fromEnv.mode = 'production'
  const oauthEnv = oauthFromEnv(env)
  if (Object.keys(oauthEnv).length > 0) fromEnv.oauth = { ...(fromFile.oauth as object), ...oauthEnv }
  const { configFile: _ignored, ...rest } = overrides
  const result = schema.safeParse({ ...fromFile, ...fromEnv, ...rest })
  if (!result.success) {
    // Every bad setting at once, one per line: fixing them should not take one restart each.
    const lines = result.error.issues.map((issue) => {
      const path =
        issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.') || '(root)'
      const variable = Object.keys(ENV).find((name) => ENV[name] === path && fromEnv[path] !== undefined)
      return `Invalid server setting "${path}"${variable ? ` (${variable})` : ''}: ${issue.message}`
    })
    throw new AuthError('CONFIG_INVALID', { message: lines.join('\n') })
  }
  const c = result.data
  return {
    ...c,
    publicUrl: c.publicUrl ?? defaultPublicUrl(c.port),
    publicUrlIsDefault: c.publicUrl === undefined,
    databaseUrl: c.databaseUrl ?? defaultDatabaseUrl(c.dataDir),
  }
}

/** The public URL when PUBLIC_URL is not set (development): this machine, on the port served. */
export function defaultPublicUrl(port: number): string {
  return `http://localhost:${port}`
}

function defaultDatabaseUrl(dataDir: string): string {
  return `sqlite:${join(dataDir, 'gatehouse.db')}`
}

/** The database is the default file in the data directory, whose folder the server may create. */
export function usesDefaultDatabase(config: Pick<ServerConfig, 'databaseUrl' | 'dataDir'>): boolean {
  return config.databaseUrl === defaultDatabaseUrl(config.dataDir)
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:'
  } catch {
    return false
  }
}

function isRedisUrl(url: string): boolean {
  try {
    const parsed = new URL(url)
    return (parsed.protocol === 'redis:' || parsed.protocol === 'rediss:') && parsed.hostname !== ''
  } catch {
    return false
  }
}

function readConfigFile(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new AuthError('CONFIG_INVALID', {
      message: `Cannot read config file ${path}: ${(error as Error).message}`,
    })
  }
}
