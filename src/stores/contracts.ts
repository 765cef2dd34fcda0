import type { InvalidationBus } from './invalidation-contract.ts'
/**
 * The storage contracts: one method per question the core asks, nothing else.
 * Times are milliseconds since the epoch. Every implementation (memory, SQL, Redis)
 * must pass test/store-contract.ts.
 */

export interface User {
  id: string
  /** Normalised (trimmed, lower-cased) — unique. */
  email: string
  /** As the user typed it (shown). */
  username: string
  /** NFKC + case-folded — unique. */
  usernameNormalized: string
  name: string | null
  /** null for accounts that only sign in through a provider. */
  passwordHash: string | null
  active: boolean
  emailVerified: boolean
  createdAt: number
  lastLoginAt: number | null
  /** Role names, loaded with the user (never a second query). */
  roles: string[]
  /** Union of the permissions of those roles. */
  permissions: string[]
}

export interface NewUser {
  id: string
  email: string
  username: string
  usernameNormalized: string
  name: string | null
  passwordHash: string | null
  active: boolean
  emailVerified: boolean
  createdAt: number
  roles: string[]
}

/** `username` and `usernameNormalized` change together (self-service rename). */
export type UserPatch = Partial<
  Pick<
    User,
    'email' | 'name' | 'active' | 'emailVerified' | 'lastLoginAt' | 'username' | 'usernameNormalized'
  >
>

export type CreateUserResult = { ok: true; user: User } | { ok: false; conflict: 'email' | 'username' }

/** What `updateAccess` changes: the roles (replaced; unknown names ignored), the active flag, or both. */
export interface AccessChange {
  roles?: string[]
  active?: boolean
}

/**
 * Conditions a guarded write checks in the same atomic step as the write (one transaction;
 * concurrent guarded writes on one role are serialised). On refusal the store throws
 * AccessGuardError and writes nothing.
 */
export interface AccessGuard {
  /** Refuse ('last-holder') when the target was an active holder of this role and afterwards no active user holds it. */
  keepActiveRole?: string
  /** Refuse ('actor') unless this user exists, is active and (when `role` is given) holds `role` at the moment of the write. */
  actor?: { id: string; role?: string }
}

export interface UserListQuery {
  q?: string
  role?: string
  active?: boolean
  sort?: 'created' | 'last_login' | 'username'
  offset: number
  limit: number
}

export interface UserPage {
  users: User[]
  total: number
}

export interface UserStore {
  createUser(user: NewUser): Promise<CreateUserResult>
  getUserById(id: string): Promise<User | null>
  getUserByEmail(email: string): Promise<User | null>
  getUserByUsername(usernameNormalized: string): Promise<User | null>
  getUserByIdentity(provider: string, subject: string): Promise<User | null>
  linkIdentity(userId: string, provider: string, subject: string, createdAt: number): Promise<void>
  updateUser(id: string, patch: UserPatch): Promise<User | null>
  setPasswordHash(id: string, passwordHash: string | null): Promise<void>
  /**
   * `q` matches email, username or name (case-insensitive substring); `role` and `active`
   * filter. Ordered by creation, oldest first; `sort: 'last_login'` newest login first (never
   * logged in last), `sort: 'username'` by normalised username. Ties by id.
   */
  listUsers(query: UserListQuery): Promise<UserPage>
  /** Replaces the roles of a user. Unknown role names are ignored. */
  setRoles(id: string, roles: string[]): Promise<void>
  /**
   * Changes roles and/or the active flag in one atomic step, checking `guard` in the same
   * step. Null for an unknown user (after the actor check); throws AccessGuardError on refusal.
   */
  updateAccess(id: string, change: AccessChange, guard?: AccessGuard): Promise<User | null>
  /** With a guard: checked atomically with the delete, as in `updateAccess`. */
  deleteUser(id: string, guard?: AccessGuard): Promise<boolean>
  /** Creates or replaces a role and its permissions (called at start from the options). */
  defineRole(name: string, permissions: string[]): Promise<void>
  listRoles(): Promise<{ name: string; permissions: string[] }[]>
  /**
   * Up to `limit` stored password hashes that do not start with `currentPrefix` (imported or
   * older-policy hashes), so the core can make a login for an unknown account take as long
   * as the slowest of them.
   */
  otherPasswordHashes(currentPrefix: string, limit: number): Promise<string[]>
}

export interface SessionRecord {
  /** Public id: the part before the dot in the token. */
  id: string
  /** SHA-256 of the secret part, hex. The secret itself is never stored. */
  secretHash: string
  userId: string
  createdAt: number
  lastSeenAt: number
  /** Idle deadline; moves forward on activity (sliding), at most once per interval. */
  expiresAt: number
  /** Hard limit; never moves. */
  absoluteExpiresAt: number
  remember: boolean
  ip: string | null
  userAgent: string | null
  /**
   * The session's data (`session.data` in the adapters) as JSON object text; absent when it
   * has none. Returned by getSessionWithUser only (session lists leave it out).
   */
  dataJson?: string
}

export interface SessionStore {
  createSession(session: SessionRecord): Promise<void>
  /** One round trip: the session and its user (with roles and permissions), or null. */
  getSessionWithUser(id: string): Promise<{ session: SessionRecord; user: User } | null>
  touchSession(id: string, lastSeenAt: number, expiresAt: number): Promise<void>
  /**
   * Replaces the session's data (JSON object text; null removes it). An unknown or ended
   * session is a no-op: data never brings a session back.
   */
  setSessionData(id: string, dataJson: string | null): Promise<void>
  deleteSession(id: string): Promise<void>
  /** Deletes every session of a user except `exceptId`; returns how many were deleted. */
  deleteUserSessions(userId: string, exceptId?: string): Promise<number>
  /** Newest activity first. */
  listUserSessions(userId: string): Promise<SessionRecord[]>
  /**
   * Optional, synchronous and cheap: a value that changes whenever another process or
   * connection writes to the store (SQLite's `PRAGMA data_version`). Lets the core keep
   * validated sessions in memory without missing a revocation made elsewhere. Stores shared
   * over a network leave it out and offer `Stores.invalidation` (Redis) or nothing (the core
   * then bounds staleness by time).
   */
  changeMarker?(): number
}

export interface KeyValueStore {
  get(key: string): Promise<string | null>
  set(key: string, value: string, ttlSeconds: number): Promise<void>
  /** Stores only if the key is absent; true when it stored. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>
  delete(key: string): Promise<void>
  /** Get and delete in one atomic step: of two concurrent takes, one gets the value. */
  take(key: string): Promise<string | null>
  /** Atomic increment; a new key starts at 0 and lives ttlSeconds. Returns the new value. */
  increment(key: string, ttlSeconds: number): Promise<number>
}

export interface AuditEvent {
  id: string
  at: number
  type: string
  userId: string | null
  actorId: string | null
  ip: string | null
  userAgent: string | null
  /** A reason code (e.g. INVALID_CREDENTIALS) — never a secret. */
  reason: string | null
  data: Record<string, unknown> | null
}

export interface AuditQuery {
  type?: string
  userId?: string
  /** Events at or after this time (ms), and before `to` (exclusive): the admin export's date range. */
  from?: number
  to?: number
  /** Newest first. */
  offset: number
  limit: number
}

export interface AuditStore {
  appendAudit(event: AuditEvent): Promise<void>
  listAudit(query: AuditQuery): Promise<{ events: AuditEvent[]; total: number }>
  /**
   * A deleted account's trace without personal data: the IP and user agent of every event
   * about or by the user, and the details of the events about it, are cleared. The events stay.
   * Returns how many events were touched.
   */
  scrubUser(userId: string): Promise<number>
}

export interface SigningKeyRecord {
  /** `kid` on every token this key signs. */
  kid: string
  alg: 'EdDSA' | 'RS256' | 'ES256'
  /** Public JWK, JSON text. */
  publicJwk: string
  /** Private key (PKCS#8 PEM or JWK JSON) encrypted with the server secret. */
  privateKeyEncrypted: string
  createdAt: number
  /** Set when a newer key took over; the key then only verifies. */
  retiredAt: number | null
  /** After this the key leaves the JWKS (every token it signed has expired). */
  expiresAt: number | null
}

export interface SigningKeyStore {
  listSigningKeys(): Promise<SigningKeyRecord[]>
  addSigningKey(key: SigningKeyRecord): Promise<void>
  retireSigningKey(kid: string, retiredAt: number, expiresAt: number): Promise<void>
  deleteSigningKey(kid: string): Promise<void>
}

export interface ApiKeyRecord {
  id: string
  userId: string
  name: string
  /** SHA-256 of the secret part, hex. */
  keyHash: string
  scopes: string[]
  createdAt: number
  expiresAt: number | null
  lastUsedAt: number | null
}

export interface ApiKeyStore {
  createApiKey(key: ApiKeyRecord): Promise<void>
  /** One round trip: the key and its owner (with roles), or null. */
  getApiKeyWithUser(id: string): Promise<{ key: ApiKeyRecord; user: User } | null>
  listApiKeys(userId: string): Promise<ApiKeyRecord[]>
  /** Deletes a key only if it belongs to userId; true when deleted. */
  deleteApiKey(userId: string, id: string): Promise<boolean>
  touchApiKey(id: string, lastUsedAt: number): Promise<void>
}

export type { Invalidation, InvalidationBus } from './invalidation-contract.ts'

/** What createAuth needs: every contract, plus lifecycle. */
export interface Stores {
  users: UserStore
  sessions: SessionStore
  kv: KeyValueStore
  audit: AuditStore
  signingKeys: SigningKeyStore
  apiKeys: ApiKeyStore
  /** A short name for logs, e.g. "sqlite:data/gatehouse.db". */
  readonly description: string
  /** Throws when a backend cannot be reached (for /readyz). */
  ping(): Promise<void>
  /**
   * How processes sharing these stores tell each other about changes (see InvalidationBus).
   * Absent: caches fall back to `session.cacheTtlMs` and per-request revocation reads.
   */
  invalidation?: InvalidationBus
  /**
   * SQL stores: applies modules' migrations (named `<module>/<name>`, each receiving the
   * Kysely instance) after the core's. Stores without a schema leave it out.
   */
  applyMigrations?(migrations: Record<string, { up(db: unknown): Promise<void> }>): Promise<void>
  close(): Promise<void>
}
