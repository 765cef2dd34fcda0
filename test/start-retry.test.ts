/** Start-up retries: which failures wait for the store, and what the socket answers meanwhile. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  isUnreachable,
  retryWhileUnreachable,
  startingFetch,
  storesNamedBy,
} from '../src/server/start-retry.ts'
import { spawnServe } from './helpers/cluster.ts'
import { freePort, waitFor } from './helpers/processes.ts'

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })

describe('start-up retry', () => {
  it('retries an unreachable store, not a configuration mistake', () => {
    expect(isUnreachable(new Error('Cannot connect to PostgreSQL', { cause: refused() }))).toBe(true)
    expect(
      isUnreachable(Object.assign(new Error('the database system is starting up'), { code: '57P03' })),
    ).toBe(true)
    expect(isUnreachable(new Error('Connection terminated due to connection timeout'))).toBe(true)
    expect(isUnreachable(Object.assign(new Error('password authentication failed'), { code: '28P01' }))).toBe(
      false,
    )
    expect(isUnreachable(new Error('Invalid server setting "databaseUrl" (DATABASE_URL)'))).toBe(false)
  })

  it('logs once per reason, backs off, and says when it starts', async () => {
    const lines: string[] = []
    let attempts = 0
    const made = await retryWhileUnreachable(
      async () => {
        attempts++
        if (attempts < 4) throw new Error('Cannot connect to PostgreSQL', { cause: refused() })
        return 'up'
      },
      { initialMs: 1, maxMs: 4, log: (l) => lines.push(l) },
    )
    expect(made).toBe('up')
    expect(attempts).toBe(4)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/^Cannot start yet: Cannot connect to PostgreSQL\. Retrying/)
    expect(lines[1]).toMatch(/reachable: starting/)
    await expect(
      retryWhileUnreachable(
        async () => {
          throw new Error('bad setting')
        },
        { log: () => {} },
      ),
    ).rejects.toThrow('bad setting')
  })

  it('answers /healthz 200 and everything else 503 STORE_UNAVAILABLE with Retry-After', async () => {
    expect(startingFetch(new Request('http://x/healthz')).status).toBe(200)
    const ready = startingFetch(new Request('http://x/readyz'), ['sql'])
    expect(ready.status).toBe(503)
    expect(await ready.json()).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' }, stores: ['sql'] })
    const other = startingFetch(new Request('http://x/api/me'))
    expect(other.status).toBe(503)
    expect(other.headers.get('retry-after')).toMatch(/^[1-9]/)
    expect(storesNamedBy(new Error('Cannot connect to PostgreSQL x'))).toEqual(['sql'])
  })

  it('SIGTERM while it waits for PostgreSQL at start: exits 0', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-start-retry-'))
    const server = spawnServe(
      {
        GATEHOUSE_DATA_DIR: dir,
        DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/none`,
        GATEHOUSE_SECRET: 'start-retry-test-secret-0123456789abcdef',
        GATEHOUSE_MODE: 'development',
      },
      await freePort(),
    )
    try {
      await waitFor('the waiting line', async () => /Cannot start yet/.test(server.output().out), 30_000)
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
      server.child.kill('SIGTERM')
      expect(await server.exited).toBe(0)
    } finally {
      await server.kill()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
