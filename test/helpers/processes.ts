/**
 * Real processes for fault and lifecycle tests: a throwaway `redis-server` on a free port
 * (stopped and restarted on the same port), and `gatehouse serve` as a child process.
 * Every wait is bounded; every process started here is killed by its `stop()`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'

/** A TCP port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0
}

/** Polls `check` every 50 ms until it resolves true, for at most `ms`; throws `what` otherwise. */
export async function waitFor(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode)
    else child.once('exit', (code) => resolve(code))
  })
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export async function listening(port: number): Promise<boolean> {
  const { connect } = await import('node:net')
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** A redis-server of our own: no persistence, on one port, that can be stopped and started again. */
export class RedisProcess {
  #child: ChildProcess | null = null
  /** `persistDir`: keep the data across stop/start (append-only file, fsync on every write). */
  constructor(
    readonly port: number,
    readonly persistDir?: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    this.#child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        ...(this.persistDir
          ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.persistDir]
          : ['--appendonly', 'no']),
        '--daemonize',
        'no',
      ],
      { stdio: 'ignore' },
    )
    await waitFor(`redis-server on port ${this.port}`, () => listening(this.port))
  }

  /** Kills it (SIGKILL: an outage, not a clean shutdown) and waits until the port is closed. */
  async stop(): Promise<void> {
    const child = this.#child
    this.#child = null
    if (!child) return
    const exited = exitOf(child)
    child.kill('SIGKILL')
    await exited
    await waitFor(`port ${this.port} to close`, async () => !(await listening(this.port)))
  }
}

export interface GatehouseProcess {
  child: ChildProcess
  /** Where it listens (from its "listening on" line). */
  url: string
  /** The public URL it printed. */
  publicUrl: string
  output(): { out: string; err: string }
  /** Resolves with the exit code. */
  exited: Promise<number | null>
  /** SIGKILL if still running (cleanup). */
  kill(): Promise<void>
}

/** Spawns `command args` (default `node bin/gatehouse.js serve --port 0`) and waits for its "listening" line. */
export async function spawnGatehouse(
  env: Record<string, string>,
  {
    command = process.execPath,
    args = ['bin/gatehouse.js', 'serve', '--port', '0'],
    timeoutMs = 60_000,
  } = {},
): Promise<GatehouseProcess> {
  const child = spawn(command, args, {
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
  const exited = exitOf(child)
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }
  try {
    const [url, publicUrl] = await new Promise<[string, string]>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "listening" line in ${timeoutMs} ms: ${out} ${err}`)),
        timeoutMs,
      )
      const check = () => {
        const m = /listening on (http:\/\/\S+) \(public URL (\S+?),/.exec(out)
        if (m && out.includes('mail:')) {
          clearTimeout(timer)
          resolve([m[1]!, m[2]!])
        }
      }
      child.stdout!.on('data', check)
      exited.then((code) => {
        clearTimeout(timer)
        reject(new Error(`exited ${code} before listening: ${out} ${err}`))
      })
    })
    return { child, url, publicUrl, output: () => ({ out, err }), exited, kill }
  } catch (error) {
    await kill()
    throw error
  }
}
