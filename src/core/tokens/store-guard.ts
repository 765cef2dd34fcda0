import { AuthError } from '../errors.ts'

/**
 * Wraps a store so any failure it throws (connection refused, timeout, driver error)
 * surfaces as AuthError('STORE_UNAVAILABLE') — a 503 — and never as a pass. Callers then
 * fail closed: a revocation lookup that cannot be answered rejects the token.
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
            throw cause instanceof AuthError ? cause : new AuthError('STORE_UNAVAILABLE', { cause })
          }
        }
        wrapped.set(prop, fn)
      }
      return fn
    },
  })
}
