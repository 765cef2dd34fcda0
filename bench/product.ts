/**
 * The product rows of `npm run bench` (issue 12): `gatehouse serve` itself — started as users
 * start it, `node bin/gatehouse.js serve` (compiled JavaScript once the package is built) —
 * on SQLite and on PostgreSQL + Redis, beside a bare Hono app in the same run.
 *
 * Rounds alternate the bare app and the product's routes (GET /healthz; GET /api/me by session
 * cookie, by bearer token with revocation on, by API key); each case reports its best round.
 * On SQLite also: logins/s of a POST /api/auth/login flood against the hashing limit (password
 * checks/s of the server's own hasher, no HTTP), and GET /api/me while that flood runs against
 * the same GETs alone, with the server's event-loop delay (perf_hooks.monitorEventLoopDelay,
 * preloaded by bench/loop-delay.mjs).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { buildIfStale } from '../scripts/build-if-stale.js'
import { type LoadOptions, type LoadResult, runLoad } from './load.ts'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = dirname(HERE)
const PASSWORD = 'Bench-passw0rd-7f3a9c2e'
/** BENCH_SERVE_ROOT: another checkout's `bin/gatehouse.js` (a before/after comparison); default this one. */
const SERVE_ROOT = process.env.BENCH_SERVE_ROOT || ROOT

export interface ProductSettings {
  duration: number
  warmup: number
  rounds: number
  connections: number
  loginConnections: number
  pgUrl: string
  redisUrl: string
  profileDir?: string
  /** Runs the servers under another program, e.g. valgrind (bench/instructions.ts): its command and arguments before node's. */
  launcher?: string[]
  log: (message: string) => void
}

export interface LoopDelay {
  p50: number
  p99: number
  max: number
  mean: number
}

interface Child {
  child: ChildProcess
  /** The next stdout line matching `test` (other lines are passed to the log). */
  line(test: (line: string) => boolean, timeoutMs?: number): Promise<string>
  stop(): Promise<void>
}

const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGTERM')
})

function spawnChild(
  args: string[],
  env: NodeJS.ProcessEnv,
  log: (m: string) => void,
  name: string,
  launcher: string[] = [],
): Child {
  const [command, ...before] = launcher.length ? launcher : [process.execPath]
  const argv = launcher.length ? [...before, process.execPath, ...args] : args
  const child = spawn(command!, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  // Under valgrind everything is some 50x slower.
  const scale = launcher.length ? 20 : 1
  children.add(child)
  const waiting: { test: (l: string) => boolean; resolve: (l: string) => void }[] = []
  const lines = createInterface({ input: child.stdout! })
  lines.on('line', (raw) => {
    const line = raw.trim()
    const at = waiting.findIndex((w) => w.test(line))
    if (at >= 0) waiting.splice(at, 1)[0]!.resolve(line)
    else if (line) log(`[${name}] ${line}`)
  })
  createInterface({ input: child.stderr! }).on('line', (l) => l.trim() && log(`[${name}] ${l}`))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    child,
    line: (test, timeoutMs = 60_000) =>
      new Promise<string>((resolve, reject) => {
        const ms = timeoutMs * scale
        const timer = setTimeout(() => reject(new Error(`${name}: no answer in ${ms} ms`)), ms)
        const entry = {
          test,
          resolve: (l: string) => {
            clearTimeout(timer)
            resolve(l)
          },
        }
        waiting.push(entry)
        exited.then(() => reject(new Error(`${name} exited (code ${child.exitCode})`)))
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
        await exited
        clearTimeout(killer)
      }
      children.delete(child)
    },
  }
}

export interface Product {
  url: string
  pid: number
  headers: { cookie: string; bearer: string; apiKey: string }
  loopDelay(): Promise<LoopDelay>
  stop(): Promise<void>
}

type Engine = 'sqlite' | 'postgres-redis'

/** `node bin/gatehouse.js serve --port 0` on a fresh SQLite file or PostgreSQL schema + Redis prefix. */
/**
 * The packaged CLI runs the compiled dist/ (`npm run build`), and so do the library apps
 * (bench/apps.ts imports the package): rebuild this checkout's when a source is newer, and
 * another checkout's (BENCH_SERVE_ROOT) when it has none, so the benchmark measures what
 * `npm start` and an installed app run. A checkout whose CLI runs its TypeScript through tsx needs nothing.
 */
export function ensureBuilt(log: (m: string) => void): void {
  if (SERVE_ROOT === ROOT) {
    if (buildIfStale()) log('rebuilt dist/ (a source was newer than the last build)')
    return
  }
  const bin = readFileSync(join(SERVE_ROOT, 'bin/gatehouse.js'), 'utf8')
  if (!bin.includes('dist/') || existsSync(join(SERVE_ROOT, 'dist/cli/main.js'))) return
  log(`building ${SERVE_ROOT}/dist (npm run build): the server under test is the compiled one`)
  const built = spawnSync('npm', ['run', 'build'], {
    cwd: SERVE_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  if (built.status !== 0) throw new Error(`npm run build failed (exit ${built.status})`)
}

export async function startProduct(engine: Engine, s: ProductSettings): Promise<Product> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-serve-'))
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_SECRET: randomBytes(32).toString('base64url'),
    NODE_ENV: '',
    // Throttling off (as in the library rows): one benchmark user logs in from one IP, and its
    // account budget would refuse most of a 32-connection flood; the flood measures hashing.
    GATEHOUSE_CONFIG: join(dataDir, 'bench.json'),
  }
  writeFileSync(env.GATEHOUSE_CONFIG!, JSON.stringify({ auth: { throttle: { enabled: false } } }))
  let cleanup = async () => {}
  if (engine === 'postgres-redis') {
    const schema = `gh_bench_${randomBytes(4).toString('hex')}`
    const { default: pg } = await import('pg')
    const admin = new pg.Client({ connectionString: s.pgUrl })
    await admin.connect()
    await admin.query(`create schema ${schema}`)
    const url = new URL(s.pgUrl)
    url.searchParams.set('options', `-c search_path=${schema}`)
    env.DATABASE_URL = url.toString()
    env.REDIS_URL = s.redisUrl
    env.GATEHOUSE_REDIS_PREFIX = `${schema}:`
    cleanup = async () => {
      await admin.query(`drop schema if exists ${schema} cascade`)
      await admin.end()
      const { Redis } = await import('ioredis')
      const redis = new Redis(s.redisUrl)
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${schema}:*`, 'COUNT', 1000)
        if (keys.length) await redis.del(...keys)
        cursor = next
      } while (cursor !== '0')
      redis.disconnect()
    }
  }
  const flags = s.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(s.profileDir, `serve-${engine}`)}`] : []
  const loopDelay = pathToFileURL(join(HERE, 'loop-delay.mjs')).href
  const args = [...flags, '--import', loopDelay, join(SERVE_ROOT, 'bin/gatehouse.js'), 'serve', '--port', '0']
  const child = spawnChild(args, env, s.log, `serve ${engine}`, s.launcher)
  const stop = async () => {
    await child.stop()
    await cleanup()
    rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    const listening = await child.line((l) => l.startsWith('Gatehouse listening on '))
    const url = /listening on (http:\/\/[^ ]+)/.exec(listening)![1]!
    const headers = await credentials(url)
    const readLoopDelay = async () => {
      const line = child.line((l) => l.startsWith('BENCH_LOOP_DELAY '), 10_000)
      child.child.kill('SIGUSR2')
      return JSON.parse((await line).slice('BENCH_LOOP_DELAY '.length)) as LoopDelay
    }
    return { url, pid: child.child.pid!, headers, loopDelay: readLoopDelay, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** Signs the benchmark user up (session cookie), logs in (access token), makes an API key. */
async function credentials(url: string): Promise<Product['headers']> {
  const origin = url.replace('127.0.0.1', 'localhost')
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, ...headers },
      body: JSON.stringify(body),
    })
  // A page first, as a real server's first visitor would: a render can change the process for
  // every later request (hono/jsx and promise hooks, src/server/pages/render-mode.ts).
  const page = await fetch(`${url}/login`, { headers: { accept: 'text/html' } })
  if (page.status !== 200) throw new Error(`GET /login: ${page.status}`)
  await page.text()
  const signup = await post('/api/auth/signup', {
    email: 'bench@example.com',
    username: 'bench_user',
    password: PASSWORD,
  })
  if (signup.status !== 201) throw new Error(`sign-up: ${signup.status} ${await signup.text()}`)
  const session = signup.headers.getSetCookie().find((c) => /^(__Host-)?gh_session=/.test(c))
  if (!session) throw new Error('sign-up set no session cookie')
  const cookie = session.split(';')[0]!
  const login = await post('/api/auth/login', { login: 'bench_user', password: PASSWORD })
  const { access_token } = (await login.json()) as { access_token: string }
  const key = await post(
    '/api/keys',
    { name: 'bench', password: PASSWORD },
    { authorization: `Bearer ${access_token}` },
  )
  if (key.status !== 201) throw new Error(`API key: ${key.status} ${await key.text()}`)
  const { key: apiKey } = (await key.json()) as { key: string }
  return { cookie, bearer: `Bearer ${access_token}`, apiKey }
}

export async function startBare(
  s: ProductSettings,
): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = spawnChild(['bench/bare-server.mjs'], process.env, s.log, 'bare', s.launcher)
  const { port } = JSON.parse(await child.line((l) => l.startsWith('{'))) as { port: number }
  return { url: `http://127.0.0.1:${port}`, pid: child.child.pid!, stop: child.stop }
}

/** A load run in a child process; `started` resolves once its autocannon is under way. */
function loadInChild(options: LoadOptions, s: ProductSettings) {
  const child = spawnChild(
    ['--import', 'tsx', 'bench/load.ts', JSON.stringify(options)],
    process.env,
    s.log,
    'flood',
  )
  const timeout = (options.warmup + options.duration + 60) * 1000
  const started = child.line((l) => l === '{"started":true}', 60_000)
  const result = child
    .line((l) => l.startsWith('{"seconds"'), timeout)
    .then((l) => JSON.parse(l) as LoadResult)
    .finally(child.stop)
  return { started, result }
}

export type RouteName = 'healthz' | 'session' | 'bearer' | 'apiKey'
export const ROUTES: RouteName[] = ['healthz', 'session', 'bearer', 'apiKey']

function routeLoad(p: Product, route: RouteName, s: ProductSettings): LoadOptions {
  const base = { connections: s.connections, duration: s.duration, warmup: s.warmup, serverPid: p.pid }
  if (route === 'healthz') return { ...base, url: `${p.url}/healthz` }
  const headers: Record<string, string> =
    route === 'session'
      ? { cookie: p.headers.cookie }
      : route === 'bearer'
        ? { authorization: p.headers.bearer }
        : { 'x-api-key': p.headers.apiKey }
  return { ...base, url: `${p.url}/api/me`, headers }
}

export interface EngineRows {
  bare: LoadResult[]
  /** The bare app answering with the product's security headers (their bytes, not its work). */
  bareWithHeaders: LoadResult[]
  routes: Record<RouteName, LoadResult[]>
}

/** The GET rounds of one engine: bare, then each product route, ROUNDS times. */
export async function engineRows(engine: Engine, s: ProductSettings): Promise<EngineRows> {
  const bare = await startBare(s)
  const product = await startProduct(engine, s)
  const out: EngineRows = {
    bare: [],
    bareWithHeaders: [],
    routes: { healthz: [], session: [], bearer: [], apiKey: [] },
  }
  try {
    for (let round = 1; round <= s.rounds; round++) {
      s.log(`product ${engine} round ${round}/${s.rounds}: bare, then ${ROUTES.join(', ')}`)
      const bareRun = (path: string) =>
        runLoad({
          url: `${bare.url}${path}`,
          connections: s.connections,
          duration: s.duration,
          warmup: s.warmup,
          serverPid: bare.pid,
        })
      out.bare.push(await bareRun('/healthz'))
      out.bareWithHeaders.push(await bareRun('/headers/healthz'))
      for (const route of ROUTES) out.routes[route].push(await runLoad(routeLoad(product, route, s)))
    }
  } finally {
    await Promise.all([bare.stop(), product.stop()])
  }
  return out
}

export interface FloodRows {
  /** One per round, alternating with `floodAlone` (hashing threads yield to any other load). */
  hashLimit: { perSecond: number; concurrency: number }[]
  floodAlone: LoadResult[]
  quiet: { gets: LoadResult; loop: LoopDelay }[]
  during: { gets: LoadResult; flood: LoadResult; loop: LoopDelay }[]
}

async function hashLimit(s: ProductSettings): Promise<FloodRows['hashLimit'][number]> {
  const child = spawnChild(
    ['--import', 'tsx', 'bench/hash-rate.ts', String(s.duration)],
    process.env,
    s.log,
    'hash-rate',
  )
  try {
    return JSON.parse(await child.line((l) => l.startsWith('{'), (s.duration + 60) * 1000))
  } finally {
    await child.stop()
  }
}

/** Logins/s against the hashing limit; GET /api/me alone and during a login flood (SQLite). */
export async function floodRows(s: ProductSettings): Promise<FloodRows> {
  const product = await startProduct('sqlite', s)
  const flood = (duration: number, warmup: number): LoadOptions => ({
    url: `${product.url}/api/auth/login`,
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: product.url.replace('127.0.0.1', 'localhost') },
    body: JSON.stringify({ login: 'bench_user', password: PASSWORD }),
    connections: s.loginConnections,
    duration,
    warmup,
  })
  try {
    const rows: FloodRows = { hashLimit: [], floodAlone: [], quiet: [], during: [] }
    for (let round = 1; round <= s.rounds; round++) {
      s.log(`round ${round}/${s.rounds}: hashing limit (password checks/s of the server's hasher, no HTTP)`)
      rows.hashLimit.push(await hashLimit(s))
      s.log(
        `round ${round}/${s.rounds}: POST /api/auth/login flood alone (${s.loginConnections} connections)`,
      )
      // No warm-up: its last logins would still be queued when the measured run opens its
      // connections, and the queue (1 hashing + 32 waiting by default) would refuse the surplus.
      rows.floodAlone.push(await loadInChild(flood(s.duration, 0), s).result)
    }
    for (let round = 1; round <= s.rounds; round++) {
      s.log(`product sqlite round ${round}/${s.rounds}: GET /api/me (session) alone, then during the flood`)
      await product.loopDelay()
      const gets = await runLoad(routeLoad(product, 'session', s))
      rows.quiet.push({ gets, loop: await product.loopDelay() })
      // No warm-up of its own: the GETs' warm-up covers the flood's first second.
      const running = loadInChild(flood(s.warmup + s.duration + 1, 0), s)
      await running.started
      await product.loopDelay()
      const during = await runLoad(routeLoad(product, 'session', s))
      const loop = await product.loopDelay()
      rows.during.push({ gets: during, flood: await running.result, loop })
    }
    return rows
  } finally {
    await product.stop()
  }
}
