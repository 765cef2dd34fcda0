import { STORE_RETRY_AFTER_SECONDS } from '../core/store-guard.ts'

/** Error codes of a store that is not there yet (as opposed to one that refuses us). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPIPE',
  // PostgreSQL: starting up, shutting down, too many connections, cannot connect now.
  '57P01',
  '57P02',
  '57P03',
  '53300',
])

/**
 * Whether a failed start may succeed later by itself: a store that cannot be reached (refused,
 * timed out, restarting). Configuration mistakes (bad URL, wrong password, missing folder) are
 * not: they fail the start at once, naming the setting.
 */
export function isUnreachable(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown }
    if (typeof code === 'string' && UNREACHABLE.has(code)) return true
    if (typeof message === 'string' && /timeout|timed out|Connection terminated/i.test(message)) return true
  }
  return false
}

export interface RetryOptions {
  /** First wait (ms); doubled after each failure up to `maxMs`. */
  initialMs?: number
  maxMs?: number
  log: (line: string) => void
  /** Told each unreachable failure (for what /readyz names meanwhile). */
  onWaiting?: (error: unknown) => void
}

/**
 * `make()` until it succeeds: while its stores are unreachable, one log line saying why (and
 * another when the reason changes), retries with exponential backoff, and a line when it is up.
 * Any other error is thrown at once.
 */
export async function retryWhileUnreachable<T>(
  make: () => Promise<T>,
  { initialMs = 500, maxMs = 10_000, log, onWaiting }: RetryOptions,
): Promise<T> {
  let wait = initialMs
  let lastReason = ''
  for (;;) {
    try {
      const made = await make()
      if (lastReason) log('The stores are reachable: starting.')
      return made
    } catch (error) {
      if (!isUnreachable(error)) throw error
      onWaiting?.(error)
      const reason = (error as Error).message
      if (reason !== lastReason)
        log(
          `Cannot start yet: ${reason}. Retrying with backoff (up to every ${maxMs / 1000} s); /healthz answers 200 and every other request 503 meanwhile.`,
        )
      lastReason = reason
      await new Promise((resolve) => setTimeout(resolve, wait))
      wait = Math.min(wait * 2, maxMs)
    }
  }
}

/** Which stores a start-up error names, as /readyz names them. */
export function storesNamedBy(error: unknown): string[] {
  const message = String((error as Error)?.message ?? '')
  const named = [/PostgreSQL|SQLite|sql/i.test(message) ? 'sql' : '', /redis/i.test(message) ? 'redis' : '']
  const down = named.filter(Boolean)
  return down.length > 0 ? down : ['stores']
}

/** What the bound socket answers while the service is being built: alive (/healthz), not ready. */
export function startingFetch(request: Request, waitingOn: string[] = []): Response {
  const { pathname } = new URL(request.url)
  if (pathname === '/healthz') return Response.json({ status: 'ok' })
  const body = {
    error: {
      code: 'STORE_UNAVAILABLE',
      message: 'A storage backend is unavailable. Please try again shortly.',
    },
    ...(pathname === '/readyz' ? { status: 'unavailable', stores: waitingOn } : {}),
  }
  return Response.json(body, {
    status: 503,
    headers: { 'retry-after': String(STORE_RETRY_AFTER_SECONDS), 'cache-control': 'no-store' },
  })
}
