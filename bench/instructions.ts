/**
 * Instructions per request, counted by valgrind's callgrind: a noise-free companion to the
 * req/s rows, which swing by tens of percent between runs on a shared 2-core machine. Each
 * library app (bench/server.ts, the compiled package) runs under callgrind; a client in this
 * process warms it up, the counters are zeroed (`callgrind_control -z`), N requests are sent
 * (4 keep-alive connections, so event-loop turns batch a little, as under load) and the
 * counters dumped. The main thread's total / N is the figure: the JIT's and the garbage
 * collector's helper threads run on the other core and are left out. Kernel time (writev)
 * is not counted, so these ratios are higher than the req/s ratios of the same apps.
 *
 * The product half runs `gatehouse serve` (compiled, SQLite) and the bare app of the product
 * rows (bench/bare-server.mjs) the same way, route after route in one process each.
 *
 * Usage: `npx tsx bench/instructions.ts [library cases…]` (Debian's valgrind; about 2 minutes
 * a case, 15 in all). Settings: BENCH_INSTR_REQUESTS (default 4000), BENCH_INSTR_WARMUP
 * (15000), BENCH_ONLY=library|product.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ensureBuilt, type ProductSettings, startBare, startProduct } from './product.ts'
import type { ServerCase, ServerReady } from './shared.ts'

const HERE = dirname(fileURLToPath(import.meta.url))
const log = (m: string) => process.stderr.write(`[instructions] ${m}\n`)
const REQUESTS = Number(process.env.BENCH_INSTR_REQUESTS ?? 4000)
const WARMUP = Number(process.env.BENCH_INSTR_WARMUP ?? 15000)
const CASES = (process.argv.slice(2) as ServerCase[]).length
  ? (process.argv.slice(2) as ServerCase[])
  : (['hono-bare', 'hono-floor', 'hono-sqlite', 'hono-jwt-offline', 'hono-jwt'] as ServerCase[])

const valgrind = (dir: string) => [
  'valgrind',
  '--tool=callgrind',
  // V8 writes machine code into memory it then runs: valgrind must re-read it.
  '--smc-check=all-non-file',
  '--separate-threads=yes',
  '--quiet',
  `--callgrind-out-file=${join(dir, 'out')}`,
]

/** A process under callgrind, and the main thread's instructions per request of one route. */
class Counted {
  #parts = 0
  constructor(
    readonly pid: number,
    readonly dir: string,
  ) {}

  async perRequest(url: string, headers: Record<string, string>): Promise<number> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })
    const get = () =>
      new Promise<void>((resolve, reject) => {
        const req = http.get(url, { agent, headers }, (res) => {
          res.resume()
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`${url}: ${res.statusCode}`)),
          )
        })
        req.on('error', reject)
      })
    const send = async (n: number) => {
      let sent = 0
      await Promise.all(
        [0, 1, 2, 3].map(async () => {
          while (sent++ < n) await get()
        }),
      )
    }
    await send(WARMUP)
    execFileSync('callgrind_control', ['-z', String(this.pid)], { stdio: 'ignore' })
    await send(REQUESTS)
    execFileSync('callgrind_control', ['-d', String(this.pid)], { stdio: 'ignore' })
    agent.destroy()
    // Each dump is a part: out.<part>-01 is its main thread.
    const file = join(this.dir, `out.${++this.#parts}-01`)
    const summary = /^summary: (\d+)/m.exec(readFileSync(file, 'utf8'))
    if (!summary) throw new Error(`${url}: no summary line in ${file}`)
    return Number(summary[1]) / REQUESTS
  }
}

/** A library app (bench/server.ts, the compiled package) under callgrind. */
async function libraryCase(kind: ServerCase): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-callgrind-'))
  const [command, ...args] = valgrind(dir)
  const child: ChildProcess = spawn(
    command!,
    [...args, process.execPath, '--import', 'tsx', join(HERE, 'server.ts'), kind],
    {
      cwd: dirname(HERE),
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  )
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve)
      child.once('exit', (code) => reject(new Error(`${kind}: valgrind exited (${code}) before listening`)))
    })
    const ready = JSON.parse(line) as ServerReady
    const headers: Record<string, string> = {}
    if (ready.cookie) headers.cookie = ready.cookie
    if (ready.authorization) headers.authorization = ready.authorization
    return await new Counted(child.pid!, dir).perRequest(`http://127.0.0.1:${ready.port}/hello`, headers)
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)))
    forget(dir)
  }
}

/** BENCH_INSTR_KEEP=1 keeps the dumps, for `callgrind_annotate <dir>/out.<n>-01`. */
function forget(dir: string): void {
  if (process.env.BENCH_INSTR_KEEP) log(`kept ${dir}`)
  else rmSync(dir, { recursive: true, force: true })
}

/** `gatehouse serve` (compiled, SQLite) and the bare app of the product rows, under callgrind. */
async function productCases(): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  const settings = (dir: string): ProductSettings => ({
    duration: 0,
    warmup: 0,
    rounds: 0,
    connections: 0,
    loginConnections: 0,
    pgUrl: '',
    redisUrl: '',
    launcher: valgrind(dir),
    log,
  })
  const bareDir = mkdtempSync(join(tmpdir(), 'gh-callgrind-'))
  const bare = await startBare(settings(bareDir))
  try {
    const counted = new Counted(bare.pid, bareDir)
    out.set('bare Hono, GET /healthz', await counted.perRequest(`${bare.url}/healthz`, {}))
    out.set('bare Hono + the security headers', await counted.perRequest(`${bare.url}/headers/healthz`, {}))
  } finally {
    await bare.stop()
    forget(bareDir)
  }
  const serveDir = mkdtempSync(join(tmpdir(), 'gh-callgrind-'))
  const serve = await startProduct('sqlite', settings(serveDir))
  try {
    const counted = new Counted(serve.pid, serveDir)
    const { cookie, bearer, apiKey } = serve.headers
    out.set('serve SQLite, GET /healthz', await counted.perRequest(`${serve.url}/healthz`, {}))
    out.set('serve SQLite, /api/me by session', await counted.perRequest(`${serve.url}/api/me`, { cookie }))
    out.set(
      'serve SQLite, /api/me by bearer',
      await counted.perRequest(`${serve.url}/api/me`, { authorization: bearer }),
    )
    out.set(
      'serve SQLite, /api/me by API key',
      await counted.perRequest(`${serve.url}/api/me`, { 'x-api-key': apiKey }),
    )
  } finally {
    await serve.stop()
    forget(serveDir)
  }
  return out
}

ensureBuilt(log)
const results = new Map<string, number>()
const half = process.env.BENCH_ONLY ?? ''
if (half !== 'product')
  for (const kind of CASES) {
    log(`${kind}…`)
    results.set(kind, await libraryCase(kind))
  }
if (half !== 'library') {
  log('product: bare app and gatehouse serve…')
  for (const [name, n] of await productCases()) results.set(name, n)
}
const ratio = (of: string, n: number) => {
  const base = results.get(of)
  return base ? `${(base / n).toFixed(3)}x of ${of}` : ''
}
console.log(
  `\nmain-thread instructions per request (callgrind; ${REQUESTS} requests after ${WARMUP} warm-up)\n`,
)
for (const [name, n] of results) {
  const ratios =
    name === 'hono-bare' || name === 'bare Hono, GET /healthz'
      ? []
      : name.startsWith('hono-')
        ? [ratio('hono-bare', n), name === 'hono-jwt' ? ratio('hono-jwt-offline', n) : '']
        : [
            ratio('bare Hono, GET /healthz', n),
            name.includes('/healthz') ? ratio('bare Hono + the security headers', n) : '',
          ]
  console.log(
    `${name.padEnd(34)} ${Math.round(n).toLocaleString('en-US').padStart(9)}   ${ratios.filter(Boolean).join(', ')}`,
  )
}
