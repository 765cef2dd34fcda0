import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Invalidation, InvalidationBus } from '../contracts.ts'

const KINDS = new Set(['session', 'user', 'revocation', 'signing-keys', 'all'])

/**
 * The invalidation channel over Redis pub/sub: one subscriber connection per process (a
 * duplicate of the command connection, with its timeouts and reconnection). Publishing goes
 * through the command connection. While the subscriber is not subscribed (before the first
 * SUBSCRIBE, or after the connection dropped) `epoch()` is null: caches are not trusted and
 * reads go to the store. On resubscription the epoch moves and every listener gets `all`
 * (drop everything), so nothing read before the gap is served again — never a stale allow.
 */
export function redisInvalidationBus(redis: Redis, channel: string): InvalidationBus {
  // Our own messages come back through the subscription; they were applied when published.
  const origin = randomBytes(9).toString('base64url')
  const listeners = new Set<(event: Invalidation) => void>()
  const deliver = (event: Invalidation) => {
    for (const listener of listeners) listener(event)
  }
  let epoch = 0
  let live = false
  let closed = false
  const sub = redis.duplicate({ autoResubscribe: false, lazyConnect: false, enableOfflineQueue: false })
  // Outages are logged once by the command connection's watcher; this one only tracks state.
  sub.on('error', () => {})
  sub.on('close', () => {
    live = false
    epoch++
  })
  sub.on('ready', () => {
    sub.subscribe(channel).then(
      () => {
        if (closed) return
        epoch++
        deliver({ kind: 'all' })
        live = true
      },
      // A failed SUBSCRIBE: the connection drops and 'ready' comes again.
      () => sub.disconnect(true),
    )
  })
  sub.on('message', (from: string, text: string) => {
    if (from !== channel) return
    const event = parseMessage(text, origin)
    if (event) deliver(event)
  })
  let turn: Promise<void> | null = null
  return {
    publish: async (event) => {
      deliver(event)
      await redis.publish(channel, JSON.stringify({ o: origin, e: event }))
    },
    subscribe: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    epoch: () => (live ? epoch : null),
    // Messages already in the socket are read in the poll phase; setImmediate runs after it.
    settled: () => {
      turn ??= new Promise((resolve) =>
        setImmediate(() => {
          turn = null
          resolve()
        }),
      )
      return turn
    },
    close: async () => {
      closed = true
      live = false
      listeners.clear()
      sub.disconnect()
    },
  }
}

/** An event from another process; null for our own; `all` for one we do not understand (fail closed). */
function parseMessage(text: string, origin: string): Invalidation | null {
  try {
    const message = JSON.parse(text) as { o?: unknown; e?: { kind?: unknown } }
    if (message.o === origin) return null
    if (message.e && KINDS.has(message.e.kind as string)) return message.e as Invalidation
  } catch {}
  return { kind: 'all' }
}
