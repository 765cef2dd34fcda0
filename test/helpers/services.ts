/**
 * Suites that need PostgreSQL or Redis call `requireService` once at the top of the file.
 * Locally, a missing service skips the suite LOUDLY; under CI it is a failure, so a broken
 * service container can never turn into a green run that tested nothing.
 */
import { Redis } from 'ioredis'
import pg from 'pg'

const PROBE_TIMEOUT_MS = 3000

function inCI(): boolean {
  const ci = process.env.CI
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false'
}

/** Resolves true when `probe` succeeds; false (after a warning) when not in CI; throws in CI. */
export async function requireService(name: string, probe: () => Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)),
          PROBE_TIMEOUT_MS,
        )
      }),
    ])
    return true
  } catch (error) {
    const reason = error instanceof Error ? error.message || error.name : String(error)
    if (inCI()) throw new Error(`${name} is required under CI but is unreachable: ${reason}`)
    console.warn(
      `\n${'!'.repeat(72)}\n!! SKIPPING ${name} tests: ${name} is unreachable (${reason}).\n!! Start it, or set CI=1 to make this a failure.\n${'!'.repeat(72)}\n`,
    )
    return false
  } finally {
    clearTimeout(timer)
  }
}

export function probePostgres(url: string): () => Promise<void> {
  return async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS })
    try {
      await client.connect()
      await client.query('select 1')
    } finally {
      await client.end().catch(() => {})
    }
  }
}

export function probeRedis(url: string): () => Promise<void> {
  return async () => {
    const redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: PROBE_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    })
    let cause: Error | undefined
    redis.on('error', (error: Error) => {
      cause = error // connect() only says "Connection is closed"; keep the real reason
    })
    try {
      await redis.connect()
      await redis.ping()
    } catch (error) {
      throw cause ?? error
    } finally {
      redis.disconnect()
    }
  }
}
