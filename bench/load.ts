/**
 * One autocannon run, summarised. Latencies are taken from autocannon's per-response events
 * (sub-millisecond, split into 2xx and the rest) rather than its integer-millisecond histogram,
 * so the p99 ratios between fast cases are not rounded away.
 *
 * Also a CLI, so a second load generator can run in its own process (the login flood of case 6):
 * `node --import tsx bench/load.ts '<LoadOptions as JSON>'` prints `{"started":true}` once the
 * run is under way and then the LoadResult as one JSON line.
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import autocannon from 'autocannon'

export interface LoadOptions {
  url: string
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  connections: number
  /** Seconds measured, after `warmup` seconds that are not. */
  duration: number
  warmup: number
  /** The server's process: its CPU time (all threads, user + system) per measured answer is reported. */
  serverPid?: number
}

/** CPU seconds a process has used, from /proc (Linux; clock ticks of 10 ms); null elsewhere. */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return null
  }
}

export interface LatencySummary {
  count: number
  p50: number
  p99: number
  max: number
}

export interface LoadResult {
  /** Seconds actually measured. */
  seconds: number
  /** Every answer per second, whatever its status. */
  rps: number
  /** 2xx answers per second. */
  okPerSecond: number
  statusCodes: Record<string, number>
  /** 503 answers that carried a Retry-After header. */
  retryAfter503: number
  errors: number
  timeouts: number
  /** Milliseconds, 2xx answers. */
  ok: LatencySummary
  /** Milliseconds, every other answer. */
  other: LatencySummary
  /** With `serverPid`: the server's CPU time per answer, in microseconds (the cost on the server alone). */
  serverCpuMicros?: number
}

class Samples {
  #data = new Float64Array(1 << 16)
  #n = 0
  add(value: number): void {
    if (this.#n === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2)
      bigger.set(this.#data)
      this.#data = bigger
    }
    this.#data[this.#n++] = value
  }
  summary(): LatencySummary {
    const sorted = this.#data.subarray(0, this.#n).sort()
    const at = (q: number) => (this.#n === 0 ? 0 : sorted[Math.min(this.#n - 1, Math.ceil(q * this.#n) - 1)]!)
    return { count: this.#n, p50: at(0.5), p99: at(0.99), max: at(1) }
  }
}

export async function runLoad(options: LoadOptions, onStarted?: () => void): Promise<LoadResult> {
  const ok = new Samples()
  const other = new Samples()
  let retryAfter503 = 0
  let measuring = options.warmup <= 0
  const method = options.method ?? 'GET'
  const request = {
    method,
    headers: options.headers ?? {},
    ...(options.body !== undefined ? { body: options.body } : {}),
    // Headers are only needed to see Retry-After on the logins' 503s; the callback makes
    // autocannon convert every response's headers, so the GET runs go without it. It fires
    // during the warm-up too, hence `measuring`.
    ...(method === 'POST'
      ? {
          onResponse: (status: number, _body: string, _ctx: unknown, headers: Record<string, string>) => {
            if (measuring && status === 503 && headers['retry-after'] !== undefined) retryAfter503++
          },
        }
      : {}),
  }
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    timeout: 10,
    requests: [request],
    ...(options.warmup > 0 ? { warmup: { connections: options.connections, duration: options.warmup } } : {}),
  })
  // With a warm-up, autocannon runs it first and then the measured run, whose events (and
  // only those) go to `instance`: 'start' marks the end of the warm-up.
  let cpuAtStart = measuring && options.serverPid ? cpuSeconds(options.serverPid) : null
  instance.on('start', () => {
    measuring = true
    if (options.serverPid) cpuAtStart = cpuSeconds(options.serverPid)
  })
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) ok.add(ms)
    else other.add(ms)
  })
  onStarted?.()
  const result = await instance
  const seconds = result.duration
  const statusCodes: Record<string, number> = {}
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count
  const total = Object.values(statusCodes).reduce((a, b) => a + b, 0)
  const cpuAtEnd = options.serverPid ? cpuSeconds(options.serverPid) : null
  const okSummary = ok.summary()
  const otherSummary = other.summary()
  const answered = okSummary.count + otherSummary.count
  const serverCpu =
    cpuAtStart !== null && cpuAtEnd !== null && answered > 0
      ? { serverCpuMicros: ((cpuAtEnd - cpuAtStart) * 1e6) / answered }
      : {}
  return {
    seconds,
    rps: total / seconds,
    okPerSecond: result['2xx'] / seconds,
    statusCodes,
    retryAfter503,
    errors: result.errors,
    timeouts: result.timeouts,
    ok: okSummary,
    other: otherSummary,
    ...serverCpu,
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions
  const result = await runLoad(options, () => process.stdout.write(`${JSON.stringify({ started: true })}\n`))
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
