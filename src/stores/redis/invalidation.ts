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
  // Our own messages, by sequence number, until they come back through our subscription.
  const echoes = new Map<number, () => void>()
  let sequence = 0
  sub.on('message', (from: string, text: string) => {
    if (from !== channel) return
    const own = ownSequence(text, origin)
    if (own !== null) return echoes.get(own)?.()
    deliver(parseMessage(text))
  })
  let turn: Promise<void> | null = null
  return {
    // Resolves once the message is back through our own subscription (bounded by ECHO_WAIT_MS):
    // Redis writes it to every subscriber before it answers PUBLISH, so by then the other
    // processes' copies are on their way too — a client that goes from this instance to
    // another finds the change applied there.
    publish: async (event) => {
      deliver(event)
      const n = ++sequence
      let timer: NodeJS.Timeout | undefined
      const echoed = new Promise<void>((resolve) => {
        echoes.set(n, resolve)
        timer = setTimeout(resolve, ECHO_WAIT_MS)
      })
      try {
        await redis.publish(channel, JSON.stringify({ o: origin, n, e: event }))
        if (live) await echoed
      } finally {
        clearTimeout(timer)
        echoes.delete(n)
      }
    },
    subscribe: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    epoch: () => (live ? epoch : null),
    // Messages in the socket are read in the poll phase, and setImmediate runs after it. Two
    // turns, not one: the caller may be in the check phase of a turn whose poll ran before
    // Redis had written our copy (it answers the publisher first, then the subscribers), so
    // wait for one more poll. Shared by every caller in the meantime, so it costs one timer.
    settled: () => {
      turn ??= new Promise((resolve) =>
        setImmediate(() =>
          setImmediate(() => {
            turn = null
            resolve()
          }),
        ),
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

/** How long a publish waits for its own message to come back (the subscriber may be reconnecting). */
const ECHO_WAIT_MS = 200

/** The sequence number of one of our own messages; null for another process's. */
function ownSequence(text: string, origin: string): number | null {
  try {
    const message = JSON.parse(text) as { o?: unknown; n?: unknown }
    if (message.o === origin && typeof message.n === 'number') return message.n
  } catch {}
  return null
}

/** An event from another process; `all` for one we do not understand (fail closed). */
function parseMessage(text: string): Invalidation {
  try {
    const message = JSON.parse(text) as { e?: { kind?: unknown } }
    if (message.e && KINDS.has(message.e.kind as string)) return message.e as Invalidation
  } catch {}
  return { kind: 'all' }
}
