/**
 * docs/security.md case 26: PostgreSQL goes away mid-run. A TCP proxy between the server and the
 * database is cut and restored: paths that need the store answer 503 STORE_UNAVAILABLE
 * (revocation checks fail closed), nothing crashes, and service recovers when it returns.
 */
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqlStores } from '../src/stores/sql/index.ts'
import { Client } from './helpers/client.ts'
import { createTestServer } from './helpers/server.ts'
import { probePostgres, requireService } from './helpers/services.ts'
import { PG_URL } from './helpers/stores.ts'

const pgUp = await requireService('PostgreSQL', probePostgres(PG_URL))

/** Forwards 127.0.0.1:<port> to PostgreSQL; cut() drops every connection and refuses new ones. */
class CuttableProxy {
  #server: Server | null = null
  #sockets = new Set<Socket>()
  port = 0

  async start(): Promise<void> {
    const target = new URL(PG_URL)
    this.#server = createServer((client) => {
      const upstream = connect(Number(target.port || 5432), target.hostname)
      for (const s of [client, upstream]) {
        this.#sockets.add(s)
        s.on('close', () => this.#sockets.delete(s))
        s.on('error', () => s.destroy())
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve) => this.#server!.listen(this.port, '127.0.0.1', resolve))
    this.port = (this.#server.address() as AddressInfo).port
  }

  async cut(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise((resolve) => this.#server!.close(resolve))
  }
}

const schema = `gh_outage_${randomBytes(4).toString('hex')}`
afterAll(async () => {
  if (!pgUp) return
  const admin = await createSqlStores({ url: PG_URL, migrate: false, poolSize: 1 })
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db)
  await admin.close()
})

describe.skipIf(!pgUp)('PostgreSQL outage (docs/security.md case 26)', () => {
  it('answers 503 on store-backed paths while the database is gone, and recovers', async () => {
    const proxy = new CuttableProxy()
    await proxy.start()
    const url = new URL(PG_URL)
    url.host = `127.0.0.1:${proxy.port}`
    const stores = await createSqlStores({ url: url.toString(), schema, poolSize: 2 })
    const s = await createTestServer({ stores })
    try {
      const c = new Client(s.send)
      expect(
        (
          await c.post('/api/auth/signup', {
            email: 'o@example.com',
            username: 'outage',
            password: 'correct horse battery',
          })
        ).status,
      ).toBe(201)
      const { access_token } = await (
        await new Client(s.send).post('/api/auth/login', {
          login: 'outage',
          password: 'correct horse battery',
        })
      ).json()
      expect((await c.get('/api/me')).status).toBe(200)

      await proxy.cut()
      // A session validated within the last session.cacheTtlMs is still served from memory.
      expect((await c.get('/api/me')).status).toBe(200)
      s.clock.advance(1001)
      const attempts: [string, () => Promise<Response>][] = [
        ['session', () => c.get('/api/me')],
        ['bearer', () => new Client(s.send).get('/api/me', { authorization: `Bearer ${access_token}` })],
        [
          'login',
          () =>
            new Client(s.send).post('/api/auth/login', {
              login: 'outage',
              password: 'correct horse battery',
            }),
        ],
        ['readyz', () => new Client(s.send).get('/readyz')],
      ]
      for (const [name, attempt] of attempts) {
        const res = await attempt()
        expect([name, res.status]).toEqual([name, 503])
        expect((await res.json()).error.code).toBe('STORE_UNAVAILABLE')
      }
      expect((await new Client(s.send).get('/healthz')).status).toBe(200)

      await proxy.start() // same port: the pool reconnects on its own
      expect((await c.get('/api/me')).status).toBe(200)
      expect((await new Client(s.send).get('/readyz')).status).toBe(200)
    } finally {
      await s.close()
      await proxy.cut().catch(() => {})
    }
  })
})
