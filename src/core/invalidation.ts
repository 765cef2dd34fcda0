import type { Invalidation, InvalidationBus, Stores } from '../stores/contracts.ts'
import { isRevocationKey } from './tokens/revocation.ts'

type Announcer = (...args: never[]) => Invalidation | null

const user = (id: string): Invalidation => ({ kind: 'user', id })
const keys = (): Invalidation => ({ kind: 'signing-keys' })
const revocation = (key: string): Invalidation | null =>
  isRevocationKey(key) ? { kind: 'revocation', key } : null

/**
 * Which writes other processes must hear about, by contract and method. Reads, creations
 * (nothing cached yet) and touches (a cache re-reads a session past its cached deadline; an
 * API key's last use is bookkeeping) are not announced.
 */
const ANNOUNCED: Partial<
  Record<'users' | 'sessions' | 'kv' | 'signingKeys' | 'apiKeys', Record<string, Announcer>>
> = {
  users: {
    updateUser: user,
    setPasswordHash: user,
    setRoles: user,
    updateAccess: user,
    deleteUser: user,
    linkIdentity: user,
    // A role's permissions are loaded with every user: all cached users may be wrong.
    defineRole: () => ({ kind: 'all' }),
  },
  sessions: {
    deleteSession: (id: string) => ({ kind: 'session', id }),
    deleteUserSessions: user,
    // Session data is cached with its session: another instance must not serve the old data.
    setSessionData: (id: string) => ({ kind: 'session', id }),
  },
  kv: { set: revocation, setIfAbsent: revocation, delete: revocation, take: revocation },
  signingKeys: { addSigningKey: keys, retireSigningKey: keys, deleteSigningKey: keys },
  // Cached API keys are held for their owner: a deleted key drops the owner's entries.
  apiKeys: { deleteApiKey: user },
}

/**
 * The stores with every cache-relevant write announced on the channel once it succeeded —
 * at the store boundary, so no caller can forget to. Auth wraps its stores this way, so the
 * server, the CLI (`gatehouse user deactivate`) and every module publish alike. A publish
 * that fails (Redis down) fails the call: the write is done, but the caller must not be told
 * that it is in force everywhere. (The other instances then have no channel either, and
 * distrust their caches until they resubscribe.)
 */
export function announceChanges(stores: Stores, bus: InvalidationBus): Stores {
  const wrapped = { ...stores }
  for (const [name, methods] of Object.entries(ANNOUNCED)) {
    const contract = name as keyof typeof ANNOUNCED
    ;(wrapped as Record<string, unknown>)[contract] = announcing(stores[contract], methods, bus)
  }
  return wrapped
}

function announcing<T extends object>(store: T, methods: Record<string, Announcer>, bus: InvalidationBus): T {
  const functions = new Map<PropertyKey, unknown>()
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      let fn = functions.get(prop)
      if (!fn) {
        const announce = typeof prop === 'string' ? methods[prop] : undefined
        fn = announce
          ? async (...args: unknown[]) => {
              const result = await value.apply(target, args)
              const event = (announce as (...a: unknown[]) => Invalidation | null)(...args)
              if (event) await bus.publish(event)
              return result
            }
          : value.bind(target)
        functions.set(prop, fn)
      }
      return fn
    },
  })
}
