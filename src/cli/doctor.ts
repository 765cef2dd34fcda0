import { DEFAULT_ARGON2_PARAMS } from '../core/methods/password/hashing/index.ts'
import { MIN_SECRET_LENGTH } from '../core/options.ts'
import type { ServerConfig } from '../server/config.ts'

export interface Finding {
  level: 'ok' | 'warn' | 'error'
  item: string
  message: string
}

/**
 * Checks a configuration the way a security reviewer would. In production every unsafe
 * item is an error (the command exits non-zero); in development it is a warning.
 */
export function diagnose(config: ServerConfig): Finding[] {
  const production =
    (config.mode ?? (process.env.NODE_ENV === 'production' ? 'production' : 'development')) === 'production'
  const bad = production ? 'error' : 'warn'
  const out: Finding[] = []
  const add = (level: Finding['level'], item: string, message: string) => out.push({ level, item, message })

  const secret = config.secret
  if (!secret)
    add(bad, 'secret', 'GATEHOUSE_SECRET is not set (development generates one in the data directory).')
  else if (secret.length < MIN_SECRET_LENGTH)
    add(
      bad,
      'secret',
      `GATEHOUSE_SECRET has ${secret.length} characters; use at least ${MIN_SECRET_LENGTH} random ones.`,
    )
  else if (new Set(secret).size < 10)
    add(bad, 'secret', 'GATEHOUSE_SECRET looks low-entropy (few distinct characters).')
  else add('ok', 'secret', 'set and long enough.')

  const url = new URL(config.publicUrl)
  if (url.protocol !== 'https:')
    add(bad, 'publicUrl', `${url.origin} is not https: cookies are not Secure, no HSTS.`)
  else add('ok', 'publicUrl', `${url.origin}.`)
  add(
    url.protocol === 'https:' ? 'ok' : bad,
    'cookies',
    url.protocol === 'https:'
      ? '__Host- prefix, Secure, HttpOnly, SameSite=Lax.'
      : 'HttpOnly, SameSite=Lax, but not Secure and no __Host- prefix.',
  )

  if (!config.smtpUrl) add(bad, 'mailer', 'SMTP_URL is not set: mails go to the development outbox.')
  else if (config.smtpUrl.startsWith('smtp://') && !/[?&]requireTLS=true/.test(config.smtpUrl))
    add('warn', 'mailer', 'SMTP without requireTLS: mails may travel in clear.')
  else add('ok', 'mailer', 'SMTP configured.')

  const pw = (config.auth.password ?? {}) as Partial<typeof DEFAULT_ARGON2_PARAMS>
  const m = pw.memoryCost ?? DEFAULT_ARGON2_PARAMS.memoryCost
  const t = pw.timeCost ?? DEFAULT_ARGON2_PARAMS.timeCost
  if (m < 19456 || t < 2) add(bad, 'password hashing', `argon2id m=${m} t=${t} is below OWASP's m=19456 t=2.`)
  else
    add(
      'ok',
      'password hashing',
      `argon2id m=${m} KiB, t=${t}, p=${pw.parallelism ?? DEFAULT_ARGON2_PARAMS.parallelism}.`,
    )

  if (config.databaseUrl.startsWith('sqlite:') && production && config.redisUrl)
    add('warn', 'stores', 'SQLite with Redis: SQLite serves one machine only.')
  if (config.trustProxy)
    add('warn', 'trustProxy', 'X-Forwarded-For is trusted: only enable behind a proxy that sets it.')
  return out
}
