/**
 * Several `gatehouse serve` processes as one server: a PostgreSQL database of their own (on
 * the shared server, dropped afterwards), a front proxy giving them one public origin, and an
 * HTTP client with a cookie jar that picks the instance of each request.
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import { join } from 'node:path'
import pg from 'pg'
import { freePort, type GatehouseProcess } from './processes.ts'

export const PG_ADMIN_URL =
  process.env.GATEHOUSE_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** A new, empty database; `drop()` removes it (closing what is still connected). */
export async function createPgDatabase(
  adminUrl = PG_ADMIN_URL,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gh_test_multi_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    },
  }
}

/** A config file with cheap password hashing (tests), in `dir`. */
export function cheapHashingConfig(dir: string, extra: Record<string, unknown> = {}): string {
  const path = join(dir, `config-${randomBytes(3).toString('hex')}.json`)
  writeFileSync(path, JSON.stringify({ auth: { password: { memoryCost: 8192, timeCost: 1 }, ...extra } }))
  return path
}

/** Runs one `gatehouse` CLI command; its standard output, or throws with both outputs. */
export function gatehouse(env: Record<string, string>, args: string[], input = ''): string {
  const r = spawnSync(process.execPath, ['bin/gatehouse.js', ...args], {
    env: { ...process.env, GATEHOUSE_CONFIG: '', NODE_ENV: '', ...env },
    input,
    encoding: 'utf8',
    timeout: 60_000,
  })
  if (r.status !== 0) throw new Error(`gatehouse ${args.join(' ')} failed: ${r.stdout} ${r.stderr}`)
  return r.stdout
}

/** `gatehouse user create --admin` with the password on standard input. */
export function createAdmin(env: Record<string, string>, username: string, password: string): void {
  gatehouse(
    env,
    ['user', 'create', '--admin', '--email', `${username}@example.com`, '--username', username],
    `${password}\n`,
  )
}

/**
 * The front: forwards each request to the instance named by `x-instance` (an index), else
 * round robin. Every instance sees the same Host, so they share one public origin.
 */
export class FrontProxy {
  #server: Server | null = null
  #next = 0
  port = 0
  constructor(public targets: string[]) {}

  get origin(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async start(port?: number): Promise<void> {
    this.port = port ?? (await freePort())
    this.#server = createServer((req, res) => {
      const named = Number(req.headers['x-instance'])
      const index = Number.isInteger(named) ? named : this.#next++ % this.targets.length
      const target = new URL(this.targets[index]!)
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        },
      )
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502)
        res.end()
      })
      req.pipe(upstream)
    })
    await new Promise<void>((resolve) => this.#server!.listen(this.port, '127.0.0.1', resolve))
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections()
    await new Promise((resolve) => this.#server?.close(resolve) ?? resolve(undefined))
  }
}

/** A browser-like client of the proxy's origin: keeps cookies, sends Origin on unsafe requests. */
export class OriginClient {
  readonly jar = new Map<string, string>()
  constructor(readonly origin: string) {}

  async send(
    instance: number | null,
    method: string,
    path: string,
    {
      json,
      form,
      headers = {},
    }: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const h = new Headers(headers)
    if (instance !== null) h.set('x-instance', String(instance))
    if (method !== 'GET') h.set('origin', this.origin)
    h.set('sec-fetch-site', 'same-origin')
    if (this.jar.size > 0) h.set('cookie', [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '))
    if (json !== undefined) h.set('content-type', 'application/json')
    if (form !== undefined) h.set('content-type', 'application/x-www-form-urlencoded')
    const res = await fetch(`${this.origin}${path}`, {
      method,
      headers: h,
      redirect: 'manual',
      body: form
        ? new URLSearchParams(form).toString()
        : json === undefined
          ? undefined
          : JSON.stringify(json),
      signal: AbortSignal.timeout(15_000),
    })
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.jar.delete(name)
      else this.jar.set(name, value)
    }
    return res
  }
}

export interface Answer {
  status: number
  ms: number
  /** 'up', 'down' or 'back': the phase the request started in. */
  phase: string
}

/**
 * Keeps `concurrency` requests in flight until stop(): each answer's status (0 for a network
 * error or a 10 s timeout) and time, tagged with the phase it started in.
 */
export function underLoad(send: () => Promise<Response>, concurrency = 6) {
  const answers: Answer[] = []
  let phase = 'up'
  let running = true
  const worker = async () => {
    while (running) {
      const started = { at: performance.now(), phase }
      let status = 0
      try {
        const res = await send()
        await res.arrayBuffer()
        status = res.status
      } catch {}
      answers.push({ status, ms: performance.now() - started.at, phase: started.phase })
    }
  }
  const workers = Array.from({ length: concurrency }, worker)
  return {
    answers,
    setPhase: (next: string) => {
      phase = next
    },
    stop: async () => {
      running = false
      await Promise.all(workers)
      return answers
    },
  }
}

/**
 * `gatehouse serve --port <port>` without waiting for its "listening" line (it may be waiting
 * for a store): the caller polls /healthz. Shaped like spawnGatehouse's result.
 */
export function spawnServe(env: Record<string, string>, port: number): GatehouseProcess {
  const child = spawn(process.execPath, ['bin/gatehouse.js', 'serve', '--port', String(port)], {
    env: { ...process.env, GATEHOUSE_CONFIG: '', NODE_ENV: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d) => {
    out += d
  })
  child.stderr!.on('data', (d) => {
    err += d
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = `http://127.0.0.1:${port}`
  return {
    child,
    url,
    publicUrl: env.PUBLIC_URL ?? `http://localhost:${port}`,
    output: () => ({ out, err }),
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}
