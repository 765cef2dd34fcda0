/**
 * Table types for Kysely. Timestamps are bigint milliseconds (read back as numbers:
 * see the int8 parser in connect.ts); booleans are integers 0/1 so SQLite and
 * PostgreSQL share one code path; JSON is stored as text.
 */

export interface UsersTable {
  id: string
  email: string
  username: string
  username_normalized: string
  name: string | null
  password_hash: string | null
  active: number
  email_verified: number
  created_at: number
  last_login_at: number | null
}

export interface IdentitiesTable {
  provider: string
  subject: string
  user_id: string
  created_at: number
}

export interface RolesTable {
  name: string
}

export interface RolePermissionsTable {
  role: string
  permission: string
}

export interface UserRolesTable {
  user_id: string
  role: string
}

export interface SessionsTable {
  id: string
  secret_hash: string
  user_id: string
  created_at: number
  last_seen_at: number
  expires_at: number
  absolute_expires_at: number
  remember: number
  ip: string | null
  user_agent: string | null
  /** Migration 0002: SessionRecord.dataJson. */
  data: string | null
}

export interface KvTable {
  key: string
  value: string
  expires_at: number
}

export interface AuditEventsTable {
  id: string
  at: number
  type: string
  user_id: string | null
  actor_id: string | null
  ip: string | null
  user_agent: string | null
  reason: string | null
  /** JSON text */
  data: string | null
}

export interface SigningKeysTable {
  kid: string
  alg: string
  public_jwk: string
  private_key_encrypted: string
  created_at: number
  retired_at: number | null
  expires_at: number | null
}

export interface ApiKeysTable {
  id: string
  user_id: string
  name: string
  key_hash: string
  /** JSON array text */
  scopes: string
  created_at: number
  expires_at: number | null
  last_used_at: number | null
}

export interface Database {
  users: UsersTable
  identities: IdentitiesTable
  roles: RolesTable
  role_permissions: RolePermissionsTable
  user_roles: UserRolesTable
  sessions: SessionsTable
  kv: KvTable
  audit_events: AuditEventsTable
  signing_keys: SigningKeysTable
  api_keys: ApiKeysTable
}
