/**
 * Which unique constraint an insert or update broke, or null if the error is something else.
 * PostgreSQL names the constraint (code 23505); SQLite names the columns in the message
 * ("UNIQUE constraint failed: users.email"). Either way the text contains the field name.
 */
export function uniqueViolation(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown }
  if (e.code === '23505') return String(e.constraint ?? '')
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return String(e.message ?? '')
  }
  return null
}

/** Maps a violation on `users` to the contract's conflict field. */
export function userConflictField(error: unknown): 'email' | 'username' | null {
  const where = uniqueViolation(error)
  if (where === null) return null
  if (where.includes('email')) return 'email'
  if (where.includes('username')) return 'username'
  return null
}
