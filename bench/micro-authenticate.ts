/** In-process cost of one authenticate() per store (no sockets): `npx tsx bench/micro-authenticate.ts`. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAuth } from '../src/core/auth.ts'
import type { Stores } from '../src/stores/contracts.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { createSqlStores } from '../src/stores/sql/index.ts'

async function measure(name: string, stores: Stores) {
  const auth = await createAuth({ mode: 'test', stores, password: { memoryCost: 8192, timeCost: 1 } })
  const user = await auth.signUp({
    email: 'm@example.com',
    username: 'micro',
    password: 'correct horse battery',
  })
  const { token } = await auth.startSession(user)
  const cookie = `${auth.sessionCookieName}=${token}`
  const ctx = { cookie, authorization: null, apiKey: null, method: 'GET' }
  for (let i = 0; i < 2000; i++) await auth.authenticate(ctx)
  const n = 20_000
  const t = process.hrtime.bigint()
  for (let i = 0; i < n; i++) await auth.authenticate(ctx)
  const us = Number(process.hrtime.bigint() - t) / 1000 / n
  console.log(`${name.padEnd(12)} ${us.toFixed(1)} µs per authenticate()`)
  await auth.close()
}

const dir = mkdtempSync(join(tmpdir(), 'gh-micro-'))
await measure('memory', createMemoryStores())
await measure('sqlite', await createSqlStores({ url: `sqlite:${join(dir, 'm.db')}` }))
if (process.env.BENCH_PG !== '0') {
  const schema = `gh_micro_${process.pid}`
  const pg = await createSqlStores({ url: 'postgres://postgres@127.0.0.1:5432/test', schema })
  await measure('postgres', pg).catch((e) => console.log('postgres skipped:', e.message))
  const admin = await createSqlStores({ url: 'postgres://postgres@127.0.0.1:5432/test', migrate: false })
  const { sql } = await import('kysely')
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db)
  await admin.close()
}
rmSync(dir, { recursive: true, force: true })
