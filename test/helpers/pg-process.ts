/**
 * A throwaway PostgreSQL cluster: `initdb` into a temporary directory as the `postgres` user,
 * `postgres` on a free port, stopped the hard way (SIGQUIT: immediate shutdown, every
 * connection dropped — an outage, not a clean stop) and started again on the same port.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listening, waitFor } from './processes.ts'

function postgresBin(): string | null {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return null
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a))
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin')
  return null
}

function postgresAccount(): { uid: number; gid: number } | null {
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
  if (uid.status !== 0 || gid.status !== 0) return null
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

/** Whether a throwaway cluster can be made here (the binaries, and root to act as `postgres`). */
export function canRunPostgres(): boolean {
  return postgresBin() !== null && postgresAccount() !== null && process.getuid?.() === 0
}

export class PostgresProcess {
  #child: ChildProcess | null = null
  readonly dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'))
  readonly #bin = postgresBin()!
  readonly #account = postgresAccount()!
  constructor(readonly port: number) {
    chownSync(this.dir, this.#account.uid, this.#account.gid)
    const r = spawnSync(
      join(this.#bin, 'initdb'),
      ['-D', join(this.dir, 'data'), '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'],
      { ...this.#account, encoding: 'utf8', timeout: 120_000 },
    )
    if (r.status !== 0) throw new Error(`initdb failed: ${r.stdout} ${r.stderr}`)
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`
  }

  async start(): Promise<void> {
    this.#child = spawn(
      join(this.#bin, 'postgres'),
      [
        ...['-D', join(this.dir, 'data'), '-p', String(this.port), '-k', this.dir],
        ...['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on', '-c', 'max_connections=40'],
      ],
      { ...this.#account, stdio: 'ignore' },
    )
    await waitFor(`postgres on port ${this.port}`, () => listening(this.port), 30_000)
  }

  /** Immediate shutdown (SIGQUIT): connections drop, nothing is flushed cleanly; waits for the exit. */
  async stop(): Promise<void> {
    const child = this.#child
    this.#child = null
    if (!child || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGQUIT')
    await exited
    await waitFor(`port ${this.port} to close`, async () => !(await listening(this.port)))
  }

  async remove(): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
