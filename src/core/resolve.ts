import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { systemClock } from './clock.ts'
import { AuthError } from './errors.ts'
import { escapingLogger } from './log-escape.ts'
import {
  type AuthOptions,
  type Logger,
  MIN_SECRET_LENGTH,
  parseOptions,
  type ResolvedOptions,
} from './options.ts'

const consoleLogger: Logger = {
  warn: (m) => console.warn(`[gatehouse] WARNING: ${m}`),
  info: (m) => console.info(`[gatehouse] ${m}`),
}

/**
 * Validates the options once and applies the production rules: in production every unsafe
 * default is an error naming its option; in development it is a loud warning.
 */
export function resolveOptions(input: AuthOptions): ResolvedOptions {
  const parsed = parseOptions(input)
  const env = process.env.NODE_ENV
  const mode = parsed.mode ?? (env === 'production' ? 'production' : env === 'test' ? 'test' : 'development')
  // Every line escaped once here, so no caller can forget it (log-escape.ts).
  const logger = escapingLogger(parsed.logger ?? consoleLogger)
  const url = new URL(parsed.publicUrl)
  const secure = url.protocol === 'https:'
  const fail = (option: string, why: string) => {
    throw new AuthError('CONFIG_INVALID', { message: `Invalid Gatehouse option "${option}": ${why}` })
  }
  // Test mode makes up a secret and skips the production checks: it must never serve production traffic.
  if (mode === 'test' && env === 'production') fail('mode', '"test" is refused when NODE_ENV=production')

  let secret = parsed.secret
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    if (mode === 'production') fail('secret', `must be at least ${MIN_SECRET_LENGTH} characters`)
    logger.warn(`"secret" is shorter than ${MIN_SECRET_LENGTH} characters; production will refuse it.`)
  }
  if (secret === undefined) {
    if (mode === 'production') fail('secret', 'is required in production (set GATEHOUSE_SECRET)')
    secret =
      mode === 'test' ? randomBytes(32).toString('base64url') : loadOrCreateDevSecret(parsed.dataDir, logger)
  }
  for (const previous of parsed.previousSecrets) {
    if (previous.length < MIN_SECRET_LENGTH && mode === 'production')
      fail('previousSecrets', `each must be at least ${MIN_SECRET_LENGTH} characters`)
    if (previous === secret) fail('previousSecrets', 'must not repeat the current secret')
  }
  if (!secure) {
    if (mode === 'production')
      fail('publicUrl', 'must be https in production (cookies would travel in clear)')
    if (mode === 'development') logger.warn(`"publicUrl" is ${url.origin} (http): cookies are not Secure.`)
  }
  if (url.pathname !== '/' || url.search || url.hash)
    fail('publicUrl', 'must be an origin without path, query or fragment')

  let usernameRegExp: RegExp
  try {
    usernameRegExp = new RegExp(parsed.signup.usernamePattern, 'u')
  } catch {
    return fail('signup.usernamePattern', 'is not a valid regular expression')
  }
  for (const role of parsed.signup.defaultRoles) {
    if (!(role in parsed.roles)) fail('signup.defaultRoles', `names an undefined role "${role}"`)
  }

  // createAuth opens the default stores when none are given; resolveOptions alone needs them.
  const stores = parsed.stores ?? fail('stores', 'is required (createSqlStores, createMemoryStores, …)')
  return {
    ...parsed,
    stores,
    secret,
    secrets: [secret, ...new Set(parsed.previousSecrets)],
    mode,
    logger,
    clock: parsed.clock ?? systemClock,
    secure,
    origin: url.origin,
    usernameRegExp,
  }
}

/** Development only: a random secret kept in the data directory so sessions survive restarts. */
function loadOrCreateDevSecret(dataDir: string, logger: Logger): string {
  const file = join(dataDir, 'secret')
  if (existsSync(file)) {
    const existing = readFileSync(file, 'utf8').trim()
    if (existing.length >= MIN_SECRET_LENGTH) {
      logger.warn(
        `"secret" not set: using the development secret in ${file}. Set GATEHOUSE_SECRET in production.`,
      )
      return existing
    }
  }
  mkdirSync(dataDir, { recursive: true })
  const secret = randomBytes(32).toString('base64url')
  writeFileSync(file, `${secret}\n`, { mode: 0o600 })
  chmodSync(file, 0o600)
  logger.warn(
    `"secret" not set: generated a development secret in ${file}. Set GATEHOUSE_SECRET in production.`,
  )
  return secret
}
