import { randomUUID } from 'node:crypto'
import type { AuditStore } from '../stores/contracts.ts'
import type { Clock } from './clock.ts'
import type { RequestContext } from './context.ts'
import { API_KEY_AUDIT_TYPES } from './methods/api-keys/module.ts'
import { PASSWORD_AUDIT_TYPES } from './methods/password/module.ts'

/** Security events of the core itself (ASVS 16.3); each method module declares its own. */
export const CORE_AUDIT_TYPES = [
  'login.success',
  'logout',
  'user.create',
  'user.activate',
  'user.deactivate',
  'user.roles',
  'user.delete',
  'session.revoke',
  'session.revoke_others',
  'token.reuse',
  'token.logout_all',
  'oauth.login',
  'oauth.link',
  'account.update',
  'account.email_change_request',
  'account.email_change',
  'account.delete',
  'account.export',
] as const

/** Modules' audit types, by declaration merging (`interface ModuleAuditTypes { 'magic.login': true }`). */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface ModuleAuditTypes {}

export type AuditType =
  | (typeof CORE_AUDIT_TYPES)[number]
  | (typeof PASSWORD_AUDIT_TYPES)[number]
  | (typeof API_KEY_AUDIT_TYPES)[number]
  | (keyof ModuleAuditTypes & string)

/** Every built-in audit type (the admin log's filter adds the modules' from `auth.modules`). */
export const AUDIT_TYPES = [...CORE_AUDIT_TYPES, ...PASSWORD_AUDIT_TYPES, ...API_KEY_AUDIT_TYPES]

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
