import type { Stores } from '../stores/contracts.ts'
import {
  AccessGuardError,
  IdentityTakenError,
  isInvalidInputError,
  StoreBusyError,
  StoreConflictError,
} from '../stores/errors.ts'
import { AuthError } from './errors.ts'

/**
 * Wraps a store so any failure it throws (connection refused, timeout, driver error)
 * surfaces as AuthError('STORE_UNAVAILABLE') — a 503 — and never as a pass. Callers then
 * fail closed: a revocation lookup that cannot be answered rejects the token.
 * Two exceptions: data the database refuses as text (a NUL byte on PostgreSQL) is the
 * client's fault, a 400; a lock held too long (SQLite) is a 503 that says when to retry.
 */
export function guardStore<T extends object>(store: T): T {
  const wrapped = new Map<PropertyKey, unknown>()
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      let fn = wrapped.get(prop)
      if (!fn) {
        fn = async (...args: unknown[]) => {
          try {
            return await value.apply(target, args)
          } catch (cause) {
            throw toStoreError(cause)
          }
        }
        wrapped.set(prop, fn)
      }
      return fn
    },
  })
}

export function toStoreError(cause: unknown): AuthError {
  if (cause instanceof AuthError) return cause
  if (isInvalidInputError(cause)) return new AuthError('VALIDATION_FAILED', { cause })
  if (cause instanceof StoreBusyError)
    return new AuthError('STORE_UNAVAILABLE', { retryAfter: cause.retryAfter, cause })
  if (cause instanceof StoreConflictError) {
    return new AuthError(cause.field === 'email' ? 'EMAIL_TAKEN' : 'USERNAME_TAKEN', { cause })
  }
  // The core guards the admin role (Auth.updateAccess): the last active admin stays.
  if (cause instanceof AccessGuardError)
    return new AuthError(cause.reason === 'last-holder' ? 'LAST_ADMIN' : 'FORBIDDEN', { cause })
  if (cause instanceof IdentityTakenError) return new AuthError('CONFLICT', { cause })
  return new AuthError('STORE_UNAVAILABLE', { retryAfter: STORE_RETRY_AFTER_SECONDS, cause })
}

/** Retry-After of a 503 for a store that failed or timed out (the stores reconnect by themselves). */
export const STORE_RETRY_AFTER_SECONDS = 5

/** Every contract of a Stores bundle guarded (ASVS: fail closed, answer 503 — never a 500 or a pass). */
export function guardStores(stores: Stores): Stores {
  return {
    users: guardStore(stores.users),
    sessions: guardStore(stores.sessions),
    kv: guardStore(stores.kv),
    audit: guardStore(stores.audit),
    signingKeys: guardStore(stores.signingKeys),
    apiKeys: guardStore(stores.apiKeys),
    description: stores.description,
    ping: () => guardStore(stores).ping(),
    close: () => stores.close(),
    ...(stores.applyMigrations ? { applyMigrations: (m) => stores.applyMigrations!(m) } : {}),
  }
}
