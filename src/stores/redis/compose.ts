import type { Stores, UserStore } from '../contracts.ts'
import type { RedisStores } from './index.ts'

/**
 * SQL for users, audit, signing keys and API keys; Redis for sessions and key-value data.
 * Deleting a user also deletes their Redis sessions, since no foreign key can reach them.
 */
export function composeStores(sql: Stores, redis: RedisStores): Stores {
  const u = sql.users
  const users: UserStore = {
    createUser: (user) => u.createUser(user),
    getUserById: (id) => u.getUserById(id),
    getUserByEmail: (email) => u.getUserByEmail(email),
    getUserByUsername: (name) => u.getUserByUsername(name),
    getUserByIdentity: (provider, subject) => u.getUserByIdentity(provider, subject),
    linkIdentity: (userId, provider, subject, at) => u.linkIdentity(userId, provider, subject, at),
    updateUser: (id, patch) => u.updateUser(id, patch),
    setPasswordHash: (id, hash) => u.setPasswordHash(id, hash),
    listUsers: (query) => u.listUsers(query),
    setRoles: (id, roles) => u.setRoles(id, roles),
    updateAccess: (id, change, guard) => u.updateAccess(id, change, guard),
    deleteUser: async (id, guard) => {
      const deleted = await u.deleteUser(id, guard)
      await redis.sessions.deleteUserSessions(id)
      return deleted
    },
    defineRole: (name, permissions) => u.defineRole(name, permissions),
    listRoles: () => u.listRoles(),
    otherPasswordHashes: (prefix, limit) => u.otherPasswordHashes(prefix, limit),
  }
  return {
    users,
    sessions: redis.sessions,
    kv: redis.kv,
    audit: sql.audit,
    signingKeys: sql.signingKeys,
    apiKeys: sql.apiKeys,
    description: `${sql.description} + ${redis.description}`,
    // Redis carries the channel for both: SQL changes made through Auth are published there too.
    invalidation: redis.invalidation,
    ...(sql.applyMigrations ? { applyMigrations: (m) => sql.applyMigrations!(m) } : {}),
    // Modules with their own tables (oauth) reach the SQL side through it.
    ...('db' in sql ? { db: (sql as { db: unknown }).db } : {}),
    ping: async () => {
      // Both are asked; the error names the ones that did not answer (for /readyz).
      const results = await Promise.allSettled([sql.ping(), redis.ping()])
      const down = (['sql', 'redis'] as const).filter((_, i) => results[i]!.status === 'rejected')
      if (down.length > 0) {
        const first = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
        throw Object.assign(new Error(`${down.join(' and ')} unavailable`, { cause: first.reason }), {
          stores: down,
        })
      }
    },
    close: async () => {
      // Close both even if one fails, then report the first failure.
      const failed = (await Promise.allSettled([sql.close(), redis.close()])).find(
        (r) => r.status === 'rejected',
      )
      if (failed) throw failed.reason
    },
  }
}
