/**
 * Raised by `updateUser` when a patch would give a user another user's email.
 * (`createUser` answers conflicts in its result instead, because sign-up expects them.)
 * Stores depend only on the contracts, so this stays here rather than in core/errors.ts;
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
