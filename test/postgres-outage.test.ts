/**
 * PostgreSQL goes away under `gatehouse serve` (a throwaway cluster of the test's own, stopped
 * with an immediate shutdown and started again): requests under load answer 200 or 503
 * STORE_UNAVAILABLE within the timeout — never a 500, never a hang — /readyz answers 503 naming
 * the database, and service resumes by itself. An instance started while PostgreSQL is down
 * serves /healthz, says why it waits, and becomes ready once the database is up.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cheapHashingConfig, spawnServe, underLoad } from './helpers/cluster.ts'
import { canRunPostgres, PostgresProcess } from './helpers/pg-process.ts'
import { freePort, type GatehouseProcess, waitFor } from './helpers/processes.ts'

const available = canRunPostgres()
if (!available) console.warn('!! SKIPPING PostgreSQL outage tests: cannot run a throwaway cluster here')
const PASSWORD = 'correct horse battery staple'

describe.skipIf(!available)('PostgreSQL outage under gatehouse serve', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-outage-'))
  let pg: PostgresProcess
  let server: GatehouseProcess | null = null

  beforeAll(async () => {
    pg = new PostgresProcess(await freePort()) // initialised, not started
  })
  afterAll(async () => {
    await server?.kill()
    await pg?.remove()
    rmSync(dir, { recursive: true, force: true })
  })

  const readyz = async () => {
    const res = await fetch(`${server!.url}/readyz`, { signal: AbortSignal.timeout(10_000) })
    return { status: res.status, body: (await res.json()) as { stores?: string[] } }
  }

  it('starts while PostgreSQL is down: says why, /healthz 200, 503 elsewhere, ready once it is up', async () => {
    server = spawnServe(
      {
        GATEHOUSE_DATA_DIR: dir,
        GATEHOUSE_CONFIG: cheapHashingConfig(dir),
        DATABASE_URL: pg.url,
        GATEHOUSE_SECRET: 'pg-outage-test-secret-0123456789abcdef',
        GATEHOUSE_MODE: 'development',
        GATEHOUSE_EMAIL_VERIFICATION: 'off',
      },
      await freePort(),
    )
    await waitFor('/healthz', async () => (await fetch(`${server!.url}/healthz`)).status === 200, 60_000)
    await waitFor('the waiting line', async () => /Cannot start yet/.test(server!.output().out), 10_000)
    expect(await readyz()).toMatchObject({ status: 503, body: { stores: ['sql'] } })
    const me = await fetch(`${server.url}/api/me`)
    expect(me.status).toBe(503)
    expect(me.headers.get('retry-after')).toMatch(/^[1-9]/)
    expect(((await me.json()) as { error: { code: string } }).error.code).toBe('STORE_UNAVAILABLE')
    expect(server.output().out).toMatch(/Cannot start yet: Cannot connect to PostgreSQL/)

    await pg.start()
    await waitFor('readiness once PostgreSQL is up', async () => (await readyz()).status === 200, 60_000)
    expect(server.output().out).toMatch(/The stores are reachable: starting/)
  })

  it('stopped under load: only 200 and 503 within the timeout, /readyz 503; restarted: service resumes', async () => {
    // A session to load the session route with.
    const signup = await fetch(`${server!.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server!.publicUrl.replace(/\/$/, '') },
      body: JSON.stringify({ email: 'load@example.com', username: 'load', password: PASSWORD }),
    })
    expect(signup.status).toBe(201)
    const cookie = signup.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    const load = underLoad(() =>
      fetch(`${server!.url}/api/me`, { headers: { cookie }, signal: AbortSignal.timeout(10_000) }),
    )
    await new Promise((resolve) => setTimeout(resolve, 500))
    load.setPhase('down')
    await pg.stop()
    await waitFor('readiness 503', async () => (await readyz()).status === 503, 10_000)
    expect((await readyz()).body.stores).toEqual(['sql'])
    await new Promise((resolve) => setTimeout(resolve, 3000))
    await pg.start()
    await waitFor('readiness after PostgreSQL is back', async () => (await readyz()).status === 200, 60_000)
    load.setPhase('back')
    await new Promise((resolve) => setTimeout(resolve, 500))
    const answers = await load.stop()

    const unexpected = answers.filter((a) => a.status !== 200 && a.status !== 503)
    expect(unexpected).toEqual([])
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(3000)
    expect(answers.filter((a) => a.phase === 'down' && a.status === 503).length).toBeGreaterThan(0)
    const back = answers.filter((a) => a.phase === 'back')
    expect(back.length).toBeGreaterThan(0)
    expect(back.at(-1)!.status).toBe(200)
    expect(server!.child.exitCode).toBeNull()
    const log = server!.output().out + server!.output().err
    expect(log).not.toMatch(/\bat (async )?\S+ \(/) // no stack traces
    expect(log).not.toMatch(/failed: /) // no 500s
  })
})
