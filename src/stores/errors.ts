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
