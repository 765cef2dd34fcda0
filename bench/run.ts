/**
 * `npm run bench`: the hot-path and login benchmarks of issue 2, in one run, on one machine.
 *
 * Every server runs in a child process (bench/server.ts) and every load generator is
 * autocannon, in this process or (for the login flood that runs alongside other traffic) in
 * a child process of its own (bench/load.ts), so no load generator shares an event loop with
 * the server or with the other generator. They still share the machine's cores.
 *
 * The GET cases of one framework run in rounds (bare, session+SQLite, session+PostgreSQL, bare,
 * …) against servers started once, and each case reports its best round: on a small shared
 * machine a neighbour's burst of work can halve one run, and alternating keeps such drift from
 * landing on one side of a ratio only. Every round's figure is printed too.
 *
 * The login cases (5, 6, 7) share one Hono + SQLite server: the POST /login flood alone; then
 * rounds of authenticated GETs alone and during the flood; then GETs during a flood that just
 * fills the admission queue (hashing without refusals), to tell the two costs apart.
 *
 * Environment: BENCH_DURATION (seconds measured per run, default 5), BENCH_WARMUP (seconds of
 * unmeasured warm-up per run, default 1), BENCH_ROUNDS (rounds of the GET and flood cases, default 2),
 * BENCH_CONNECTIONS (GET cases, default 10), BENCH_LOGIN_CONNECTIONS (login flood, default 32),
 * BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test), BENCH_JSON (also write the raw
 * results there), BENCH_PROFILE (a directory: servers run with --cpu-prof and write profiles in <dir>/<case>/).
 *
 * Then the product rows (bench/product.ts): `node bin/gatehouse.js serve` on SQLite and on
 * PostgreSQL + Redis beside a bare Hono app, logins/s against the hashing limit, and session
 * GETs during a login flood. BENCH_ONLY=library|product runs one half; BENCH_REDIS_URL (default
 * redis://127.0.0.1:6379); BENCH_PRODUCT_JSON (raw product results); BENCH_SERVE_ROOT (another
 * checkout whose bin/gatehouse.js to start, for before/after comparisons).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type LoadOptions, type LoadResult, runLoad } from './load.ts'
import { engineRows, ensureBuilt, floodRows, type ProductSettings } from './product.ts'
import { productReport } from './product-report.ts'
import { QUEUE, SERVER_CASES, type ServerCase, type ServerMessage, type ServerReady } from './shared.ts'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = dirname(HERE)

function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < min)
    throw new Error(`${name} must be a number >= ${min}, got "${raw}"`)
  return value
}

const DURATION = envNumber('BENCH_DURATION', 5, 1)
const WARMUP = envNumber('BENCH_WARMUP', 1, 0)
const ROUNDS = Math.floor(envNumber('BENCH_ROUNDS', 2, 1))
const CONNECTIONS = Math.floor(envNumber('BENCH_CONNECTIONS', 10, 1))
const LOGIN_CONNECTIONS = Math.floor(envNumber('BENCH_LOGIN_CONNECTIONS', 32, 1))
const PROFILE_DIR = process.env.BENCH_PROFILE
/** Seconds a child may take to print its next line (start-up, or a whole load run). */
const ANSWER_TIMEOUT = 60 + 2 * (WARMUP + DURATION)

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`)

// ------------------------------------------------------------------ child processes

const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGTERM')
})

/** `node --import tsx bench/<script> …args` from the project root; JSON lines are read from stdout. */
function spawnTs(script: string, args: string[], nodeFlags: string[] = []) {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', join(HERE, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.add(child)
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(killer)
    }
    children.delete(child)
  }
  return { stop, pid: child.pid!, nextLine: <T>() => nextJsonLine<T>(lines, child, script) }
}

async function nextJsonLine<T>(
  lines: AsyncIterator<string>,
  child: ChildProcess,
  script: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${script}: no answer within ${ANSWER_TIMEOUT} s`)),
      ANSWER_TIMEOUT * 1000,
    )
  })
  try {
    for (;;) {
      const next = await Promise.race([lines.next(), timeout])
      if (next.done) throw new Error(`${script} exited (code ${child.exitCode}) without answering`)
      const line = next.value.trim()
      if (line.startsWith('{')) return JSON.parse(line) as T
      if (line) process.stderr.write(`[${script}] ${line}\n`)
    }
  } finally {
    clearTimeout(timer)
  }
}

interface Skipped {
  skipped: string
}
const isSkipped = (value: unknown): value is Skipped =>
  typeof value === 'object' && value !== null && 'skipped' in value

interface RunningServer extends ServerReady {
  kind: ServerCase
  url: string
  pid: number
  stop(): Promise<void>
}

/** Starts `bench/server.ts <kind>` and waits until it listens (or skips). */
async function startServer(kind: ServerCase): Promise<RunningServer | Skipped> {
  // One directory per case: the main thread's profile is the big one (tsx's loader thread writes one too).
  const flags = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, kind)}`] : []
  const { stop, pid, nextLine } = spawnTs('server.ts', [kind], flags)
  try {
    const message = await nextLine<ServerMessage>()
    if (isSkipped(message)) {
      await stop()
      return message
    }
    return { ...message, kind, url: `http://127.0.0.1:${message.port}`, pid, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** A load run in a child process; `started` resolves once its autocannon is under way. */
function loadInChild(options: LoadOptions) {
  const { stop, nextLine } = spawnTs('load.ts', [JSON.stringify(options)])
  const started = nextLine<{ started: true }>()
  const result = started.then(() => nextLine<LoadResult>()).finally(stop)
  return { started, result }
}

// ------------------------------------------------------------------ the cases

const getHello = (server: RunningServer): LoadOptions => ({
  url: `${server.url}/hello`,
  connections: CONNECTIONS,
  duration: DURATION,
  warmup: WARMUP,
  serverPid: server.pid,
  ...(server.cookie ? { headers: { cookie: server.cookie } } : {}),
  ...(server.authorization ? { headers: { authorization: server.authorization } } : {}),
})

/**
 * Refreshes per second over HTTP: each chain spends its refresh token and continues with the
 * successor, as a client does; the chains run side by side for DURATION seconds.
 */
async function refreshRate(server: RunningServer): Promise<{ perSecond: number; failures: number }> {
  const tokens = server.refreshTokens ?? []
  const deadline = Date.now() + DURATION * 1000
  let done = 0
  let failures = 0
  await Promise.all(
    tokens.map(async (first) => {
      let token = first
      while (Date.now() < deadline) {
        const res = await fetch(`${server.url}/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refresh_token: token }),
        })
        const body = (await res.json()) as { refresh_token?: string }
        if (res.status !== 200 || !body.refresh_token) {
          failures++
          return
        }
        token = body.refresh_token
        done++
      }
    }),
  )
  return { perSecond: done / DURATION, failures }
}

async function refreshCase(): Promise<{ perSecond: number; failures: number; chains: number } | Skipped> {
  const server = await startServer('hono-jwt')
  if (isSkipped(server)) return server
  try {
    log(`POST /refresh: ${server.refreshTokens?.length ?? 0} chains for ${DURATION} s`)
    return { ...(await refreshRate(server)), chains: server.refreshTokens?.length ?? 0 }
  } finally {
    await server.stop()
  }
}

const loginFlood = (server: RunningServer, duration: number): LoadOptions => ({
  url: `${server.url}/login`,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(server.login),
  connections: LOGIN_CONNECTIONS,
  duration,
  warmup: WARMUP,
})

/** Authenticated GETs must all be 200: anything else means the benchmark measures the wrong thing. */
function checked(name: string, result: LoadResult): LoadResult {
  const bad = Object.entries(result.statusCodes).filter(([code]) => code !== '200')
  if (bad.length > 0 || result.errors > 0)
    log(
      `WARNING ${name}: non-200 answers ${JSON.stringify(Object.fromEntries(bad))}, errors ${result.errors}`,
    )
  return result
}

interface GetCase {
  /** Every round, in order. */
  rounds: LoadResult[]
  /** The round with the most 2xx answers per second. */
  best: LoadResult
}

/** GET /hello on every server of one framework, alternating, ROUNDS times. */
async function getCases(kinds: ServerCase[]): Promise<Map<ServerCase, GetCase | Skipped>> {
  const out = new Map<ServerCase, GetCase | Skipped>()
  const servers: RunningServer[] = []
  try {
    for (const kind of kinds) {
      const server = await startServer(kind)
      if (isSkipped(server)) {
        log(`${kind}: skipped: ${server.skipped}`)
        out.set(kind, server)
      } else servers.push(server)
    }
    const rounds = new Map<ServerCase, LoadResult[]>(servers.map((s) => [s.kind, []]))
    for (let round = 1; round <= ROUNDS; round++) {
      for (const server of servers) {
        log(`round ${round}/${ROUNDS} ${server.kind}: GET /hello, ${CONNECTIONS} connections`)
        rounds.get(server.kind)!.push(checked(server.kind, await runLoad(getHello(server))))
      }
    }
    for (const [kind, results] of rounds) {
      const best = results.reduce((a, b) => (b.okPerSecond > a.okPerSecond ? b : a))
      out.set(kind, { rounds: results, best })
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
  return out
}

interface LoginCases {
  floodAlone: LoadResult
  /** One entry per round. */
  getAlone: LoadResult[]
  getDuringFlood: LoadResult[]
  floodWithGets: LoadResult[]
  /** A flood of exactly the queue's capacity (hashing + waiting): no refusals, only hashing. */
  capacity: number
  getDuringCapacityFlood: LoadResult
  capacityFlood: LoadResult
}

/** GETs measured while a flood of `connections` runs in another process. */
async function getsDuringFlood(server: RunningServer, connections: number) {
  // No warm-up of its own: a warm-up's last requests would still be queued when the measured
  // run opens its connections. The GETs' warm-up covers the flood's first second instead.
  const flood = loadInChild({ ...loginFlood(server, WARMUP + DURATION + 1), connections, warmup: 0 })
  await flood.started
  const gets = checked('GET during flood', await runLoad(getHello(server)))
  return { gets, flood: await flood.result }
}

/**
 * Cases 5, 6 and 7 on one Hono + SQLite server: the login flood alone; then ROUNDS rounds of
 * authenticated GETs alone and GETs while the flood runs (two autocannon processes); then, to
 * tell hashing from refusals, GETs during a flood that just fills the admission queue.
 */
async function loginCases(): Promise<LoginCases | Skipped> {
  const server = await startServer('hono-sqlite')
  if (isSkipped(server)) return server
  try {
    log(`POST /login flood alone (${LOGIN_CONNECTIONS} connections)`)
    const floodAlone = await loadInChild(loginFlood(server, DURATION)).result
    const getAlone: LoadResult[] = []
    const getDuringFlood: LoadResult[] = []
    const floodWithGets: LoadResult[] = []
    for (let round = 1; round <= ROUNDS; round++) {
      log(`round ${round}/${ROUNDS}: authenticated GETs alone (${CONNECTIONS} connections)`)
      getAlone.push(checked('GET alone', await runLoad(getHello(server))))
      log(`round ${round}/${ROUNDS}: authenticated GETs while the login flood runs`)
      const { gets, flood } = await getsDuringFlood(server, LOGIN_CONNECTIONS)
      getDuringFlood.push(gets)
      floodWithGets.push(flood)
    }
    const capacity = QUEUE.concurrency + QUEUE.maxWaiting
    log(`authenticated GETs during a flood of ${capacity} connections (the queue's capacity: no 503)`)
    const { gets, flood } = await getsDuringFlood(server, capacity)
    return {
      floodAlone,
      getAlone,
      getDuringFlood,
      floodWithGets,
      capacity,
      getDuringCapacityFlood: gets,
      capacityFlood: flood,
    }
  } finally {
    await server.stop()
  }
}

// ------------------------------------------------------------------ output

const int = (n: number) => Math.round(n).toLocaleString('en-US')
const ms = (n: number) => n.toFixed(2)
const times = (n: number) => `${n.toFixed(2)}x`

function nonOk(r: LoadResult): string {
  const parts = Object.entries(r.statusCodes)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, n]) => `${code}: ${int(n)}`)
  if (r.errors) parts.push(`errors: ${int(r.errors)}`)
  if (r.timeouts) parts.push(`timeouts: ${int(r.timeouts)}`)
  return parts.length ? parts.join(', ') : '0'
}

function renderTable(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

function machine() {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    uvThreadpool: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
    loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 100) / 100),
  }
}

// ------------------------------------------------------------------ main

async function libraryBench() {
  const startedAt = Date.now()
  const info = machine()
  log(`${info.cores} cores (${info.cpu}), node ${info.node}; servers, load generators and hashing share them`)

  const hono = await getCases(SERVER_CASES.filter((c) => c.startsWith('hono-')))
  const refresh = await refreshCase()
  const express = await getCases(['express-bare', 'express-sqlite'])
  const login = await loginCases()

  const header = ['case', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'ratio', 'target', 'rounds / refusals']
  const right = [false, true, true, true, false, false, false, false]
  const rows: string[][] = []
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED')
  const bestOf = (c: GetCase | Skipped | undefined) => (c === undefined || isSkipped(c) ? undefined : c.best)
  const ratioOf = (a: LoadResult | undefined, b: LoadResult | undefined) =>
    a && b ? a.okPerSecond / b.okPerSecond : undefined

  const resultRow = (name: string, r: LoadResult, ratio = '', target = '', rounds = '') =>
    rows.push([name, int(r.okPerSecond), ms(r.ok.p50), ms(r.ok.p99), nonOk(r), ratio, target, rounds])
  const getRow = (name: string, c: GetCase | Skipped | undefined, ratio = '', target = '') => {
    if (c === undefined) return
    if (isSkipped(c)) rows.push([name, 'skipped', '', '', '', '', '', c.skipped])
    else {
      const cpu = c.best.serverCpuMicros
      const rounds = c.rounds.map((x) => `${int(x.okPerSecond)} req/s`).join(', ')
      resultRow(
        name,
        c.best,
        ratio,
        target,
        cpu === undefined ? rounds : `${rounds}; server ${cpu.toFixed(1)} µs/req`,
      )
    }
  }
  const floodRow = (name: string, r: LoadResult) =>
    resultRow(
      name,
      r,
      '',
      '',
      r.other.count === 0
        ? 'no refusals'
        : `503 p50/p99 ${ms(r.other.p50)}/${ms(r.other.p99)} ms, ${int(r.retryAfter503)} with Retry-After`,
    )

  const hs = ratioOf(bestOf(hono.get('hono-sqlite')), bestOf(hono.get('hono-bare')))
  const hp = ratioOf(bestOf(hono.get('hono-postgres')), bestOf(hono.get('hono-bare')))
  const es = ratioOf(bestOf(express.get('express-sqlite')), bestOf(express.get('express-bare')))
  const hf = ratioOf(bestOf(hono.get('hono-floor')), bestOf(hono.get('hono-bare')))
  getRow('1  Hono, bare GET /hello', hono.get('hono-bare'))
  getRow(
    '1b Hono, two no-op middlewares',
    hono.get('hono-floor'),
    hf === undefined ? '' : `${times(hf)} of 1`,
  )
  getRow(
    '2  Hono, session on SQLite',
    hono.get('hono-sqlite'),
    hs === undefined ? '' : `${times(hs)} of 1`,
    hs === undefined ? '>= 0.85x' : `>= 0.85x ${verdict(hs >= 0.85)}`,
  )
  getRow(
    '3  Hono, session on PostgreSQL',
    hono.get('hono-postgres'),
    hp === undefined ? '' : `${times(hp)} of 1`,
  )
  const hj = ratioOf(bestOf(hono.get('hono-jwt')), bestOf(hono.get('hono-bare')))
  const hjo = ratioOf(bestOf(hono.get('hono-jwt-offline')), bestOf(hono.get('hono-bare')))
  const hjr = ratioOf(bestOf(hono.get('hono-jwt')), bestOf(hono.get('hono-jwt-offline')))
  getRow(
    '3b Hono, JWT + revocation lookup',
    hono.get('hono-jwt'),
    hj === undefined ? '' : `${times(hj)} of 1`,
    hj === undefined ? '>= 0.9x' : `>= 0.9x ${verdict(hj >= 0.9)}`,
  )
  getRow(
    '3c Hono, JWT, offline (no lookup)',
    hono.get('hono-jwt-offline'),
    hjo === undefined ? '' : `${times(hjo)} of 1`,
    hjo === undefined ? '>= 0.9x' : `>= 0.9x ${verdict(hjo >= 0.9)}`,
  )
  if (isSkipped(refresh)) rows.push(['3d POST /refresh', 'skipped', '', '', '', '', '', refresh.skipped])
  else
    rows.push([
      `3d POST /refresh (${refresh.chains} chains): refreshes/s`,
      int(refresh.perSecond),
      '',
      '',
      refresh.failures ? `failed chains: ${refresh.failures}` : '0',
      '',
      '',
      'rotation + reuse bookkeeping on SQLite',
    ])
  getRow('4a Express, bare GET /hello', express.get('express-bare'))
  getRow(
    '4b Express, session on SQLite',
    express.get('express-sqlite'),
    es === undefined ? '' : `${times(es)} of 4a`,
  )

  let floodRatio: number | undefined
  let capacityRatio: number | undefined
  if (isSkipped(login)) {
    rows.push(['5-7 login cases', 'skipped', '', '', '', '', '', login.skipped])
  } else {
    // Lowest p99 of the rounds on both sides, as the GET cases take their best round.
    const lowestP99 = (rs: LoadResult[]) => rs.reduce((a, b) => (b.ok.p99 < a.ok.p99 ? b : a))
    const alone = lowestP99(login.getAlone)
    const during = lowestP99(login.getDuringFlood)
    floodRatio = during.ok.p99 / alone.ok.p99
    capacityRatio = login.getDuringCapacityFlood.ok.p99 / alone.ok.p99
    const p99s = (rs: LoadResult[]) => rs.map((r) => `p99 ${ms(r.ok.p99)}`).join(', ')
    floodRow(`5  POST /login flood (${LOGIN_CONNECTIONS} conn): logins/s`, login.floodAlone)
    resultRow('6a session GET, alone', alone, '', '', p99s(login.getAlone))
    resultRow(
      `6b session GET during the flood`,
      during,
      `p99 ${times(floodRatio)} of 6a`,
      `< 2x ${verdict(floodRatio < 2)}`,
      p99s(login.getDuringFlood),
    )
    floodRow('6c the flood meanwhile: logins/s', lowestP99(login.floodWithGets))
    resultRow(
      `7a session GET during a ${login.capacity}-conn flood`,
      login.getDuringCapacityFlood,
      `p99 ${times(capacityRatio)} of 6a`,
    )
    floodRow(`7b that flood (queue full, no 503): logins/s`, login.capacityFlood)
  }

  const fmt = (n: number | undefined) => (n === undefined ? 'n/a' : times(n))
  const out = [
    '',
    `Gatehouse benchmark (npm run bench): GET cases ${CONNECTIONS} connections, best of ${ROUNDS} alternating rounds; ` +
      `login flood ${LOGIN_CONNECTIONS} connections; each run ${WARMUP} s warm-up + ${DURATION} s measured.`,
    `Machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, ${info.os}; node ${info.node}; ` +
      `libuv pool ${info.uvThreadpool} threads; load average at start ${info.loadAverageAtStart.join(' ')}.`,
    `Only ${info.cores} cores: the server (a child process), the autocannon load generators and the argon2 threads all share them.`,
    `Passwords: argon2id m=19456 t=2 p=1; admission queue ${QUEUE.concurrency} hashing + ${QUEUE.maxWaiting} waiting; throttling off.`,
    'req/s counts 2xx answers; p50/p99 are of 2xx answers; a login flood row also gives the latency of its 503 refusals.',
    '',
    renderTable(header, rows, right),
    '',
    'Ratios:',
    `  Hono + SQLite / bare                        ${fmt(hs)}   target >= 0.85x${hs === undefined ? '' : ` ${verdict(hs >= 0.85)}`}`,
    `  Hono + PostgreSQL / bare                    ${hp === undefined ? 'skipped' : times(hp)}`,
    `  Hono + JWT (revocation lookup) / bare       ${fmt(hj)}   target >= 0.9x${hj === undefined ? '' : ` ${verdict(hj >= 0.9)}`}`,
    `  Hono + JWT (offline) / bare                 ${fmt(hjo)}   target >= 0.9x${hjo === undefined ? '' : ` ${verdict(hjo >= 0.9)}`}`,
    `  Hono + JWT (revocation) / JWT (offline)     ${fmt(hjr)}   target >= 0.8x${hjr === undefined ? '' : ` ${verdict(hjr >= 0.8)}`}`,
    `  two no-op middlewares / bare (the floor)    ${fmt(hf)}   what gatehouse() + loginRequired() cost before they do anything`,
    `  Express + SQLite / bare                     ${fmt(es)}`,
    `  session GET p99, during login flood / alone ${fmt(floodRatio)}   target < 2x${floodRatio === undefined ? '' : ` ${verdict(floodRatio < 2)}`}`,
    `  the same, flood that only fills the queue   ${fmt(capacityRatio)}`,
    `Total time ${((Date.now() - startedAt) / 1000).toFixed(0)} s.`,
  ]
  process.stdout.write(`${out.join('\n')}\n`)

  if (process.env.BENCH_JSON) {
    const settings = { DURATION, WARMUP, ROUNDS, CONNECTIONS, LOGIN_CONNECTIONS }
    const raw = {
      machine: info,
      settings,
      hono: Object.fromEntries(hono),
      express: Object.fromEntries(express),
      login,
    }
    writeFileSync(process.env.BENCH_JSON, `${JSON.stringify(raw, null, 2)}\n`)
  }
}

/** The rows of `gatehouse serve` itself (bench/product.ts), beside a bare Hono app. */
async function productBench() {
  const startedAt = Date.now()
  const info = machine()
  const settings: ProductSettings = {
    duration: DURATION,
    warmup: WARMUP,
    rounds: ROUNDS,
    connections: CONNECTIONS,
    loginConnections: LOGIN_CONNECTIONS,
    pgUrl: process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    ...(PROFILE_DIR ? { profileDir: PROFILE_DIR } : {}),
    log,
  }
  const sqlite = await engineRows('sqlite', settings)
  const pg = await engineRows('postgres-redis', settings).catch((error: Error) => {
    log(`PostgreSQL + Redis: skipped: ${error.message}`)
    return { skipped: error.message }
  })
  const flood = await floodRows(settings)
  const report = productReport(sqlite, pg, flood)
  const out = [
    '',
    `Gatehouse product benchmark (npm run bench): \`node bin/gatehouse.js serve\` beside a bare Hono app; GET cases ${CONNECTIONS} connections, ` +
      `best of ${ROUNDS} alternating rounds; login flood ${LOGIN_CONNECTIONS} connections; each run ${WARMUP} s warm-up + ${DURATION} s measured.`,
    `Machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, ${info.os}; node ${info.node}; ` +
      `load average at start ${info.loadAverageAtStart.join(' ')}, at end ${os
        .loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}.`,
    'The server runs with its defaults (argon2id m=19456 t=2 p=1, hashing concurrency cores - 1, login throttling off — the flood is one user from one IP).',
    '',
    report.text,
    `Total time ${((Date.now() - startedAt) / 1000).toFixed(0)} s.`,
  ]
  process.stdout.write(`${out.join('\n')}\n`)
  if (process.env.BENCH_PRODUCT_JSON)
    writeFileSync(
      process.env.BENCH_PRODUCT_JSON,
      `${JSON.stringify({ machine: info, sqlite, pg, flood, ratios: report.ratios }, null, 2)}\n`,
    )
}

/** BENCH_ONLY=library or BENCH_ONLY=product runs one half; default both. */
async function main() {
  const only = process.env.BENCH_ONLY ?? ''
  if (only !== '' && only !== 'library' && only !== 'product')
    throw new Error(`BENCH_ONLY must be library or product, got "${only}"`)
  // Both halves run the compiled package (the library apps import it, the server is its CLI).
  ensureBuilt(log)
  if (only !== 'product') await libraryBench()
  if (only !== 'library') await productBench()
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
