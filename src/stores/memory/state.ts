import { SEEDED_ROLES, sortedUnique } from '../common.ts'
import type { ApiKeyRecord, SessionRecord, User } from '../contracts.ts'

/** A user as kept in memory: roles live in `userRoles`, permissions are derived on read. */
export type StoredUser = Omit<User, 'roles' | 'permissions'>

/** Everything the memory stores share, so deleting a user can cascade like the SQL foreign keys. */
export interface MemoryState {
  users: Map<string, StoredUser>
  userRoles: Map<string, Set<string>>
  /** role name → permissions */
  roles: Map<string, Set<string>>
  /** JSON [provider, subject] → identity */
  identities: Map<string, { userId: string; createdAt: number }>
  sessions: Map<string, SessionRecord>
  apiKeys: Map<string, ApiKeyRecord>
}

export function createState(): MemoryState {
  return {
    users: new Map(),
    userRoles: new Map(),
    roles: new Map(SEEDED_ROLES.map((r) => [r, new Set<string>()])),
    identities: new Map(),
    sessions: new Map(),
    apiKeys: new Map(),
  }
}

/** A fresh copy of the user with roles and permissions joined, as the SQL stores return it. */
export function withRoles(state: MemoryState, stored: StoredUser): User {
  const roles = sortedUnique(state.userRoles.get(stored.id) ?? [])
  const permissions = sortedUnique(roles.flatMap((r) => [...(state.roles.get(r) ?? [])]))
  return { ...stored, roles, permissions }
}

export function getUser(state: MemoryState, id: string): User | null {
  const stored = state.users.get(id)
  return stored ? withRoles(state, stored) : null
}
