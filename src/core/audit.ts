import { randomUUID } from 'node:crypto'
import type { AuditStore } from '../stores/contracts.ts'
import type { Clock } from './clock.ts'
import type { RequestContext } from './context.ts'

/** Security events worth an audit trail (ASVS 16.3); the admin log's filter offers these. */
export const AUDIT_TYPES = [
  'signup',
  'login.success',
  'login.failure',
  'logout',
  'password.change',
  'password.change.failure',
  'reauth.failure',
  'password.reset',
  'password.reset.request',
  'email.verify',
  'user.create',
  'user.activate',
  'user.deactivate',
  'user.roles',
  'user.delete',
  'session.revoke',
  'session.revoke_others',
  'token.reuse',
  'token.logout_all',
  'apikey.create',
  'apikey.revoke',
  'oauth.login',
  'oauth.link',
  'device.unlock.request',
  'device.unlock',
  'user.throttle_clear',
] as const

/** Modules' audit types, by declaration merging (`interface ModuleAuditTypes { 'magic.login': true }`). */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface ModuleAuditTypes {}

export type AuditType = (typeof AUDIT_TYPES)[number] | (keyof ModuleAuditTypes & string)

export interface AuditInput {
  type: AuditType
  userId?: string | null
  actorId?: string | null
  /** A reason code (e.g. INVALID_CREDENTIALS) — never a password or token. */
  reason?: string | null
  data?: Record<string, unknown> | null
  ctx?: Partial<Pick<RequestContext, 'ip' | 'userAgent'>> | undefined
}

export function recordAudit(store: AuditStore, clock: Clock, input: AuditInput): Promise<void> {
  return store.appendAudit({
    id: randomUUID(),
    at: clock(),
    type: input.type,
    userId: input.userId ?? null,
    actorId: input.actorId ?? input.userId ?? null,
    ip: input.ctx?.ip ?? null,
    userAgent: input.ctx?.userAgent?.slice(0, 512) ?? null,
    reason: input.reason ?? null,
    data: input.data ?? null,
  })
}
