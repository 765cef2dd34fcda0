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
 * Usage: `npm run build && npx tsx bench/instructions.ts [cases…]` (Debian's valgrind; about
 * 2 minutes a case). Settings: BENCH_INSTR_REQUESTS (default 4000), BENCH_INSTR_WARMUP (15000).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ensureBuilt } from './product.ts'
import type { ServerCase, ServerReady } from './shared.ts'

const HERE = dirname(fileURLToPath(import.meta.url))
const REQUESTS = Number(process.env.BENCH_INSTR_REQUESTS ?? 4000)
const WARMUP = Number(process.env.BENCH_INSTR_WARMUP ?? 15000)
const CASES = (process.argv.slice(2) as ServerCase[]).length
  ? (process.argv.slice(2) as ServerCase[])
  : (['hono-bare', 'hono-floor', 'hono-sqlite', 'hono-jwt-offline', 'hono-jwt'] as ServerCase[])

/** One case under callgrind: main-thread instructions per request. */
async function count(kind: ServerCase): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-callgrind-'))
  const child: ChildProcess = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      // V8 writes machine code into memory it then runs: valgrind must re-read it.
      '--smc-check=all-non-file',
      '--separate-threads=yes',
      `--callgrind-out-file=${join(dir, 'out')}`,
      process.execPath,
      '--import',
      'tsx',
      join(HERE, 'server.ts'),
      kind,
    ],
    { cwd: dirname(HERE), stdio: ['ignore', 'pipe', 'ignore'] },
  )
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve)
      child.once('exit', (code) => reject(new Error(`${kind}: valgrind exited (${code}) before listening`)))
    })
    const ready = JSON.parse(line) as ServerReady
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })
    const headers: Record<string, string> = {}
    if (ready.cookie) headers.cookie = ready.cookie
    if (ready.authorization) headers.authorization = ready.authorization
    const get = () =>
      new Promise<void>((resolve, reject) => {
        const req = http.get(
          { host: '127.0.0.1', port: ready.port, path: '/hello', agent, headers },
          (res) => {
            res.resume()
            res.on('end', () =>
              res.statusCode === 200 ? resolve() : reject(new Error(`${kind}: ${res.statusCode}`)),
            )
          },
        )
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
    execFileSync('callgrind_control', ['-z', String(child.pid)], { stdio: 'ignore' })
    await send(REQUESTS)
    execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' })
    agent.destroy()
    // The dump of the measured part, main thread: out.1-01.
    const main = readdirSync(dir).find((f) => f.endsWith('.1-01'))
    if (!main) throw new Error(`${kind}: no callgrind dump`)
    const summary = /^summary: (\d+)/m.exec(readFileSync(join(dir, main), 'utf8'))
    if (!summary) throw new Error(`${kind}: no summary line in the dump`)
    return Number(summary[1]) / REQUESTS
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)))
    rmSync(dir, { recursive: true, force: true })
  }
}

ensureBuilt((m) => process.stderr.write(`[instructions] ${m}\n`))
const results = new Map<ServerCase, number>()
for (const kind of CASES) {
  process.stderr.write(`[instructions] ${kind}…\n`)
  results.set(kind, await count(kind))
}
const bare = results.get('hono-bare')
const offline = results.get('hono-jwt-offline')
console.log(
  `\nmain-thread instructions per request (callgrind; ${REQUESTS} requests after ${WARMUP} warm-up)\n`,
)
for (const [kind, n] of results) {
  const ratios = [
    bare && kind !== 'hono-bare' ? `${(bare / n).toFixed(3)}x of hono-bare` : '',
    offline && kind === 'hono-jwt' ? `${(offline / n).toFixed(3)}x of hono-jwt-offline` : '',
  ].filter(Boolean)
  console.log(
    `${kind.padEnd(18)} ${Math.round(n).toLocaleString('en-US').padStart(9)}   ${ratios.join(', ')}`,
  )
}
