import type { Auth } from '../core/auth.ts'
import type { Mailer, OutboxMailer } from '../core/mail/mailer.ts'
import type { DeviceUnlock } from '../core/methods/password/device-unlock.ts'
import type { AccountRecovery } from '../core/methods/password/recovery.ts'
import type { TokenCookies } from '../core/token-cookies.ts'
import type { SelfService } from '../core/users/self-service.ts'
import type { Branding } from './branding.ts'
import type { ServerConfig } from './config.ts'

/** Everything the routes of the server use, built once in createServer(). */
export interface Services {
  /** What the routes read of the settings (a library mount has no ServerConfig: src/server/embed.ts). */
  config: Pick<ServerConfig, 'appName' | 'publicUrl'>
  auth: Auth
  mailer: Mailer
  /** Only in development with no SMTP_URL. */
  outbox: OutboxMailer | null
  recovery: AccountRecovery
  /** "Sign in from a new device" links for throttled accounts. */
  unlock: DeviceUnlock
  /** Token cookies whose refresh cookie is narrowed to the mount's <prefix>/api/auth; default auth.tokenCookies. */
  tokenCookies?: TokenCookies | null
  /** Name, logo and colour of the pages (GATEHOUSE_APP_NAME, GATEHOUSE_LOGO_*, GATEHOUSE_PRIMARY_COLOR). */
  branding: Branding
  /** The self-service account: edit, email change, deletion, export (and modules' account hooks). */
  account: SelfService
}
