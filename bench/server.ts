/**
 * One server under test, in its own process so it never shares an event loop with the load
 * generator. Usage: `node --import tsx bench/server.ts <case>`; prints one JSON line on stdout
 * (`{ port, cookie, login }` when listening, `{ skipped }` when its database is unreachable),
 * then serves until SIGTERM, when it closes and removes its database (temp file or schema).
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
// The compiled package (dist/), as an installed app runs it: `npm run bench` builds it first.
import { type Auth, createAuth } from 'gatehouse-auth'
import { createSqlStores, type SqlStores } from 'gatehouse-auth/stores/sql'
import { sql } from 'kysely'
import { expressAuth, expressBare, honoAuth, honoBare, honoFloor, honoJwt } from './apps.ts'
import { QUEUE, SERVER_CASES, type ServerCase, type ServerMessage, type ServerReady } from './shared.ts'

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

const USER = { email: 'bench@example.com', username: 'bench_user', password: 'Bench-passw0rd-7f3a9c2e' }

const cleanups: Array<() => void | Promise<void>> = []

function reply(message: ServerMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`)
}

async function openStores(engine: 'sqlite' | 'postgres'): Promise<SqlStores> {
  if (engine === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const stores = await createSqlStores({ url: `sqlite:${join(dir, 'bench.db')}` })
    cleanups.unshift(() => stores.close())
    return stores
  }
  const schema = `gh_bench_${randomBytes(4).toString('hex')}`
  const stores = await createSqlStores({ url: PG_URL, schema, poolSize: 10 })
  cleanups.unshift(async () => {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(stores.db)
    await stores.close()
  })
  return stores
}

/** Production argon2id parameters (OWASP); the admission queue of shared.ts; no throttling. */
async function makeAuth(stores: SqlStores): Promise<Auth> {
  return createAuth({
    secret: randomBytes(32).toString('base64url'),
    mode: 'test',
    publicUrl: 'http://127.0.0.1:8000',
    stores,
    password: {
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
      concurrency: QUEUE.concurrency,
      maxWaiting: QUEUE.maxWaiting,
    },
    throttle: { enabled: false },
    // The login flood signs the one benchmark user in thousands of times: with the default cap
    // of 100 sessions per user its oldest session — the cookie the GET cases send — would end.
    session: { maxPerUser: 100_000 },
    logger: { warn: (m) => console.error(`[bench server] ${m}`) },
  })
}

/** Signs the benchmark user up and starts a session the way a login would. */
async function sessionCookie(auth: Auth): Promise<string> {
  const user = await auth.signUp(USER)
  const { token } = await auth.startSession(user, {}, { ip: '127.0.0.1', userAgent: 'autocannon' })
  return `${auth.sessionCookieName}=${token}`
}

function listenHono(
  fetch: (request: Request, env: unknown) => Response | Promise<Response>,
): Promise<Server> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(server as Server)) as Server
  })
}

function listenNode(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer(handler)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })
}

async function start(kind: ServerCase): Promise<ServerReady> {
  const [framework, store] = kind.split('-') as [
    'hono' | 'express',
    'bare' | 'floor' | 'sqlite' | 'postgres' | 'jwt',
  ]
  let server: Server
  let ready: Omit<ServerReady, 'port'> = {}
  if (store === 'bare' || store === 'floor') {
    const hono = store === 'floor' ? honoFloor() : honoBare()
    server = framework === 'hono' ? await listenHono(hono.fetch) : await listenNode(expressBare())
    // The same request bytes as the authenticated cases (a session cookie the bare app ignores),
    // so the ratio measures the authentication work and nothing else.
    ready = { cookie: `gh_session=${'A'.repeat(22)}.${'B'.repeat(43)}` }
  } else if (store === 'jwt') {
    // Tokens on SQLite (signing keys, revocation entries, refresh families).
    const auth = await makeAuth(await openStores('sqlite'))
    const user = await auth.signUp(USER)
    const pair = await auth.tokens!.issuePair(user)
    const refreshTokens = await Promise.all(
      Array.from({ length: 16 }, async () => (await auth.tokens!.issuePair(user)).refresh_token),
    )
    ready = { authorization: `Bearer ${pair.access_token}`, refreshTokens }
    server = await listenHono(honoJwt(auth, !kind.endsWith('offline')).fetch)
  } else {
    const auth = await makeAuth(await openStores(store))
    ready = { cookie: await sessionCookie(auth), login: { login: USER.username, password: USER.password } }
    server =
      framework === 'hono' ? await listenHono(honoAuth(auth).fetch) : await listenNode(expressAuth(auth))
  }
  cleanups.unshift(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  return { port: (server.address() as AddressInfo).port, ...ready }
}

let stopping: Promise<never> | undefined
/** Runs every cleanup once (a second signal waits for the first) and exits. */
function stop(code: number): Promise<never> {
  stopping ??= (async () => {
    for (const cleanup of cleanups) {
      try {
        await cleanup()
      } catch (error) {
        console.error('[bench server] cleanup failed:', error)
      }
    }
    process.exit(code)
  })()
  return stopping
}

const kind = process.argv[2] as ServerCase
if (!SERVER_CASES.includes(kind)) {
  console.error(`usage: bench/server.ts <${SERVER_CASES.join('|')}>`)
  process.exit(2)
}
process.on('SIGTERM', () => void stop(0))
process.on('SIGINT', () => void stop(0))

try {
  reply(await start(kind))
} catch (error) {
  if (kind.endsWith('postgres')) {
    const e = error as { message?: string; code?: string }
    reply({
      skipped: `PostgreSQL unreachable at ${new URL(PG_URL).host} (${e.message || e.code || String(error)})`,
    })
    await stop(0)
  }
  console.error('[bench server] failed to start:', error)
  await stop(1)
}
