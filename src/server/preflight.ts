import type { Mailer } from '../core/mail/mailer.ts'
import { MIN_SECRET_LENGTH } from '../core/options.ts'
import type { ServerConfig } from './config.ts'

/** The mode the server will run in: the setting, else NODE_ENV=production, else development. */
export function serverMode(config: Pick<ServerConfig, 'mode'>, env = process.env.NODE_ENV): string {
  return config.mode ?? (env === 'production' ? 'production' : env === 'test' ? 'test' : 'development')
}

/**
 * Every setting production refuses, in one list, so an operator fixes them all before one
 * restart (the core still fails closed on each: this only reports them together first).
 */
export function productionProblems(
  config: Pick<ServerConfig, 'secret' | 'publicUrl' | 'smtpUrl' | 'mode'>,
  hasMailer = false,
): string[] {
  const problems: string[] = []
  if (!config.secret)
    problems.push('Invalid server setting "secret" (GATEHOUSE_SECRET): is required in production')
  else if (config.secret.length < MIN_SECRET_LENGTH)
    problems.push(
      `Invalid server setting "secret" (GATEHOUSE_SECRET): must be at least ${MIN_SECRET_LENGTH} characters`,
    )
  if (new URL(config.publicUrl).protocol !== 'https:')
    problems.push('Invalid server setting "publicUrl" (PUBLIC_URL): must be https in production')
  if (!config.smtpUrl && !hasMailer)
    problems.push(
      'Invalid server setting "smtpUrl": SMTP_URL is required in production (password reset mails)',
    )
  return problems
}

const VERIFY_TIMEOUT_MS = 5000

/** Whether the SMTP server answers (EHLO, and AUTH when configured): null if fine, else why not. */
export async function smtpProblem(mailer: Mailer): Promise<string | null> {
  if (!mailer.verify) return null
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      mailer.verify(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${VERIFY_TIMEOUT_MS / 1000} s`)),
          VERIFY_TIMEOUT_MS,
        )
      }),
    ])
    return null
  } catch (error) {
    return `the SMTP server (${mailer.description}) is unreachable: ${(error as Error)?.message ?? String(error)}`
  } finally {
    clearTimeout(timer)
  }
}
