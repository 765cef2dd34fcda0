/**
 * `npm run bench:instances`: several `gatehouse serve` processes on PostgreSQL + Redis (issue 13).
 *
 * 1. Two instances vs one: the session route (`GET /api/me` with a session cookie) under the
 *    same load — the same number of connections from the same two generators, spread over both
 *    instances or all on one. Req/s side by side, and the ratio.
 * 2. The session route on both instances while Redis is restarted (killed, then started again
 *    with its data, an append-only file): error rate (non-2xx and socket errors) and p99.
 *
 * Its own redis-server on a free port and its own PostgreSQL database (created on BENCH_PG_ADMIN_URL,
 * default postgres://postgres@127.0.0.1:5432/postgres, dropped at the end). Environment:
 * BENCH_DURATION (seconds per run, default 5), BENCH_CONNECTIONS (default 16).
 * On a 2-core machine both instances and the generators share the cores: the ratio says what
 * a second process costs or gains there, not what a second machine would.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { type LoadResult, runLoad } from './load.ts'

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)))
const DURATION = Number(process.env.BENCH_DURATION ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16)
const PG_ADMIN = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const log = (m: string) => process.stderr.write(`[bench:instances] ${m}\n`)
const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL')
})

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as { port: number }
  await new Promise((resolve) => s.close(resolve))
  return port
}

/** Starts a child and resolves once `ready` matches its output. */
function start(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<ChildProcess> {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  let out = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command}: not ready in 60 s: ${out}`)), 60_000)
    const check = (d: Buffer) => {
      out += d
      if (ready.test(out)) {
        clearTimeout(timer)
        resolve(child)
      }
    }
    child.stdout!.on('data', check)
    child.stderr!.on('data', check)
    child.once('exit', (code) => reject(new Error(`${command} exited ${code}: ${out}`)))
  })
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
  children.delete(child)
}

function redisServer(port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes']
  return start('redis-server', [...args, '--dir', dir], process.env, /Ready to accept connections/)
}

/** Both generators at once, `connections` split between them, each at its own target. */
async function load(urls: [string, string], cookie: string, duration = DURATION): Promise<LoadResult[]> {
  const half = Math.max(1, Math.floor(CONNECTIONS / 2))
  return Promise.all(
    urls.map((url) =>
      runLoad({ url: `${url}/api/me`, headers: { cookie }, connections: half, duration, warmup: 1 }),
    ),
  )
}

const sum = (rs: LoadResult[], f: (r: LoadResult) => number) => rs.reduce((a, r) => a + f(r), 0)

/** Scenario 1: the same load on one instance, then spread over two. */
async function twoVersusOne(a: string, b: string, cookie: string): Promise<void> {
  log(`1. session route, ${CONNECTIONS} connections, ${DURATION} s: one instance, then two`)
  const one = await load([a, a], cookie)
  const two = await load([a, b], cookie)
  const rps1 = sum(one, (r) => r.okPerSecond)
  const rps2 = sum(two, (r) => r.okPerSecond)
  console.log('| case | 2xx req/s | p99 ms | non-2xx |')
  console.log('| --- | ---: | ---: | ---: |')
  const row = (name: string, rs: LoadResult[]) =>
    console.log(
      `| ${name} | ${Math.round(sum(rs, (r) => r.okPerSecond))} | ${Math.max(...rs.map((r) => r.ok.p99)).toFixed(1)} | ${sum(rs, (r) => r.other.count + r.errors)} |`,
    )
  row('one instance', one)
  row('two instances', two)
  console.log(`two / one: ${(rps2 / rps1).toFixed(2)}x`)
}

/** Scenario 2: both instances under load while Redis is killed and started again; returns the new Redis. */
async function duringRedisRestart(
  a: string,
  b: string,
  cookie: string,
  redis: ChildProcess,
  redisPort: number,
  dir: string,
): Promise<ChildProcess> {
  log(`2. session route on both instances while Redis is restarted (${3 * DURATION} s)`)
  const running = load([a, b], cookie, 3 * DURATION)
  await new Promise((resolve) => setTimeout(resolve, (1 + DURATION) * 1000))
  await stop(redis)
  const restarted = await redisServer(redisPort, dir)
  const during = await running
  const total = sum(during, (r) => r.ok.count + r.other.count + r.errors + r.timeouts)
  const failed = sum(during, (r) => r.other.count + r.errors + r.timeouts)
  const p99 = Math.max(...during.map((r) => Math.max(r.ok.p99, r.other.p99)))
  const codes: Record<string, number> = {}
  for (const r of during) for (const [k, v] of Object.entries(r.statusCodes)) codes[k] = (codes[k] ?? 0) + v
  console.log(
    `Redis restart: ${total} answers, error rate ${((100 * failed) / Math.max(1, total)).toFixed(2)} %, p99 ${p99.toFixed(1)} ms, status codes ${JSON.stringify(codes)}`,
  )
  return restarted
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-instances-'))
  const dbName = `gh_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: PG_ADMIN })
  await admin.connect()
  await admin.query(`create database ${dbName}`)
  const dbUrl = new URL(PG_ADMIN)
  dbUrl.pathname = `/${dbName}`
  const redisPort = await freePort()
  let redis = await redisServer(redisPort, dir)
  try {
    const config = join(dir, 'config.json')
    writeFileSync(config, JSON.stringify({ auth: { password: { memoryCost: 8192, timeCost: 1 } } }))
    const ports = [await freePort(), await freePort()]
    const env = {
      ...process.env,
      NODE_ENV: '',
      GATEHOUSE_CONFIG: config,
      GATEHOUSE_DATA_DIR: dir,
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      GATEHOUSE_SECRET: 'bench-instances-secret-0123456789abcdef',
      GATEHOUSE_MODE: 'development',
      GATEHOUSE_EMAIL_VERIFICATION: 'off',
      PUBLIC_URL: `http://127.0.0.1:${ports[0]}`,
    }
    const serve = (port: number) =>
      start(process.execPath, ['bin/gatehouse.js', 'serve', '--port', String(port)], env, /mail:/)
    const servers = [await serve(ports[0]!), await serve(ports[1]!)]
    const [a, b] = ports.map((p) => `http://127.0.0.1:${p}`) as [string, string]
    const signup = await fetch(`${a}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: env.PUBLIC_URL },
      body: JSON.stringify({
        email: 'bench@example.com',
        username: 'bench',
        password: 'correct horse battery',
      }),
    })
    if (signup.status !== 201) throw new Error(`sign-up answered ${signup.status}`)
    const cookie = signup.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')

    await twoVersusOne(a, b, cookie)
    redis = await duringRedisRestart(a, b, cookie, redis, redisPort, dir)
    for (const s of servers) await stop(s)
  } finally {
    await stop(redis)
    await admin.query(`drop database if exists ${dbName} with (force)`)
    await admin.end()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
process.exit(0)
