import type { Auth } from '../../core/auth.ts'
import type { SessionRecord } from '../../stores/contracts.ts'

/**
 * The login before the one that started this session (users.last_login_at is this very
 * login, so it says nothing): the newest `login.success` event older than the session.
 * Null for a first login. A second of slack covers the audit line written just before the session.
 */
export async function previousLogin(
  auth: Auth,
  userId: string,
  session: Pick<SessionRecord, 'createdAt'> | null,
): Promise<{ at: number; ip: string | null } | null> {
  const before = (session?.createdAt ?? auth.clock()) - 1000
  const { events } = await auth.listAudit({ type: 'login.success', userId, offset: 0, limit: 10 })
  const event = events.find((e) => e.at < before)
  return event ? { at: event.at, ip: event.ip } : null
}
