/**
 * Raised by `updateUser` when a patch would give a user another user's email.
 * (`createUser` answers conflicts in its result instead, because sign-up expects them.)
 * Stores depend only on the contracts, so this stays here rather than with the core's errors;
 * the core maps `field` to EMAIL_TAKEN / USERNAME_TAKEN.
 */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError'
  readonly code = 'CONFLICT' as const

  constructor(
    readonly field: 'email' | 'username',
    options?: { cause?: unknown },
  ) {
    super(`A user with this ${field} already exists.`, options)
  }
}

/** Raised by `linkIdentity` when (provider, subject) already belongs to another user. */
export class IdentityTakenError extends Error {
  override readonly name = 'IdentityTakenError'
  readonly code = 'CONFLICT' as const

  constructor() {
    super('This identity is already linked to another user.')
  }
}

/**
 * The database stayed locked by another connection longer than the store may wait (SQLite's
 * single writer). Not an outage: the caller answers 503 with Retry-After and the client retries.
 */
export class StoreBusyError extends Error {
  override readonly name = 'StoreBusyError'
  readonly code = 'BUSY' as const
  /** Seconds after which a retry is likely to find the lock free. */
  readonly retryAfter = 1

  constructor(options?: { cause?: unknown }) {
    super('The database is locked by another connection.', options)
  }
}

/**
 * True for a database error caused by the data sent, not by the database: PostgreSQL's
 * SQLSTATE class 22 "data exception" — 22021 (a NUL byte in text), 22P05, 22P02, 22001, ….
 * Checked on the error and its cause (Kysely and our wrappers may wrap the driver's error).
 */
export function isInvalidInputError(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 3; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}

/**
 * Raised by the guarded writes (`updateAccess`, `deleteUser` with a guard) when the guard
 * refuses: `last-holder` — the change would leave no active user with the guarded role;
 * `actor` — the acting user is no longer active or no longer holds the required role.
 * Nothing was written. The core maps them to LAST_ADMIN (409) and FORBIDDEN (403).
 */
export class AccessGuardError extends Error {
  override readonly name = 'AccessGuardError'
  readonly code = 'CONFLICT' as const

  constructor(readonly reason: 'last-holder' | 'actor') {
    super(
      reason === 'last-holder'
        ? 'The change would leave no active user with the guarded role.'
        : 'The acting user may no longer make this change.',
    )
  }
}

/**
 * A store's settings cannot work (a URL of the wrong scheme, a SQLite folder that does not
 * exist). `setting` names what to fix (`REDIS_URL`, `DATABASE_URL`); the server reports it as
 * CONFIG_INVALID at start.
 */
export class StoreConfigError extends Error {
  override readonly name = 'StoreConfigError'
  readonly setting: string
  constructor(setting: string, message: string) {
    super(message)
    this.setting = setting
  }
}
