import type { AuthModule } from '../../module.ts'

/** What the password method records in the audit log. */
export const PASSWORD_AUDIT_TYPES = [
  'signup',
  'login.failure',
  'password.change',
  'password.change.failure',
  'reauth.failure',
  'password.reset',
  'password.reset.request',
  'email.verify',
  'device.unlock.request',
  'device.unlock',
  'user.throttle_clear',
] as const

/**
 * The password method on the module contract: the audit types and one-time-token purposes
 * it owns. Its logic is PasswordMethod (auth.password), AccountRecovery and DeviceUnlock; its
 * routes are the server's sign-up, login, reset and unlock pages and API.
 */
export const passwordModule: AuthModule = {
  id: 'password',
  auditTypes: PASSWORD_AUDIT_TYPES,
  tokenPurposes: ['password-reset', 'email-verify', 'device-unlock'],
}
