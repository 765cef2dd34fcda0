/**
 * The module's storage on every backend the server runs on: linked accounts in its own
 * table on SQLite and PostgreSQL (migration `oauth/0001-accounts`), attempts, app codes and
 * refresh locks in the key-value store (Redis when configured). Two server instances share
 * the stores: an attempt started on one finishes on the other, and 20 concurrent
 * providerToken calls spread over both cause one refresh grant (lock + compare-and-set).
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stores } from '../src/stores/contracts.ts'
import { Client } from './helpers/client.ts'
import { HTML, me, startAt } from './helpers/oauth.ts'
import { type Idp, IdpBrowser, startIdp } from './helpers/oidc-provider.ts'
import { createTestServer } from './helpers/server.ts'
import { probePostgres, probeRedis, requireService } from './helpers/services.ts'
import {
  type FakeClock,
  PG_URL,
  postgresFixtures,
  REDIS_URL,
  redisFixtures,
  type StoreFixture,
  sqliteFixture,
} from './helpers/stores.ts'

const pgUp = await requireService('PostgreSQL', probePostgres(PG_URL))
const redisUp = await requireService('Redis', probeRedis(REDIS_URL))
const pg = postgresFixtures(PG_URL)
const redis = redisFixtures(REDIS_URL)

let idp: Idp
beforeAll(async () => {
  idp = await startIdp({
    clients: [
      {
        client_id: 'gh-test',
        client_secret: 'test-secret-0123456789',
        redirect_uris: ['http://localhost:8000/auth/oauth/test/callback'],
      },
    ],
    accounts: { alice: { email: 'alice@example.com', email_verified: true } },
  })
  idp.autoLogin = 'alice'
})
afterAll(async () => {
  await idp.close()
  if (pgUp) await pg.dropLeftovers()
})

const backends: [string, boolean, () => Promise<StoreFixture>][] = [
  ['sqlite', true, sqliteFixture],
  ['postgres', pgUp, pg.factory],
  ['sqlite + redis', redisUp, redis.factory],
]

async function instance(stores: Stores, clock: FakeClock) {
  // Both instances share the stores; the fixture closes them.
  return createTestServer({
    stores: { ...stores, close: async () => {} } as Stores,
    clock,
    oauth: {
      OIDC_TEST_ISSUER: idp.issuer,
      OIDC_TEST_CLIENT_ID: 'gh-test',
      OIDC_TEST_CLIENT_SECRET: 'test-secret-0123456789',
    },
  })
}

for (const [name, up, factory] of backends) {
  describe.skipIf(!up)(`oauth on ${name}`, () => {
    it('signs in across two instances, refuses to unlink the last method, refreshes once for 20 callers on both', async () => {
      const { stores, clock, cleanup } = await factory()
      try {
        const a = await instance(stores, clock)
        const b = await instance(stores, clock)
        const client = new Client(a.send)
        const back = await new IdpBrowser(idp.issuer).follow(await startAt(client, '/auth/oauth/test'))
        // The callback lands on the other instance: the attempt is in the shared store.
        const onB = new Client(b.send)
        for (const [k, v] of client.jar) onB.jar.set(k, v)
        const res = await onB.get(back.pathname + back.search, HTML)
        expect(res.status).toBe(302)
        const user = (await me(onB))!
        expect(user.email).toBe('alice@example.com')

        if ('db' in stores && name !== 'sqlite + redis') {
          const rows = await sql<{ provider: string }>`select provider from oauth_accounts`.execute(
            (stores as unknown as { db: Parameters<ReturnType<typeof sql>['execute']>[0] }).db,
          )
          expect(rows.rows.map((r) => r.provider)).toEqual(['test'])
        }

        const last = await onB.delete('/api/me/providers/test')
        expect(last.status).toBe(409)
        expect((await last.json()).error.code).toBe('LAST_SIGN_IN_METHOD')

        const before = idp.refreshGrants
        clock.advance(3600_000)
        const tokens = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).services.auth.providerToken(user.id, 'test')),
        )
        expect(idp.refreshGrants - before).toBe(1)
        expect(new Set(tokens).size).toBe(1)

        await a.close()
        await b.close()
      } finally {
        await cleanup()
      }
    })
  })
}
