import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The parameters part of a stored hash, without salt and digest — hashes with the same
 * format cost the same to verify: `pbkdf2:sha256:600000`, `$2b$12`, `$argon2id$v=19$m=…`.
 */
export function hashFormat(stored: string): string {
  const parts = stored.split('$')
  return parts.slice(0, stored.startsWith('$2') ? -1 : -2).join('$')
}

const MAX_FORMATS = 64
/** Never wait longer than this, whatever was measured. */
const MAX_FLOOR_MS = 3000
/** Weight of the newest measurement: the floor follows the machine's load within a few logins. */
const ALPHA = 0.25

/**
 * Makes every login's password check take as long as the slowest hash format in the
 * database. Unknown accounts already pay one argon2id verification (the dummy), but an
 * imported Werkzeug pbkdf2 hash with a million iterations takes ten times longer: without a
 * floor, a wrong password for a migrated account answers visibly slower than an unknown
 * name, and migrated accounts could be enumerated until they log in once.
 *
 * The floor is a sleep, not extra hashing, so it costs no CPU. Each format other than the
 * current policy's is measured at start (for the hashes the store holds) and again at
 * every login that verifies one, as a moving average, so the floor follows the load.
 */
export class LoginTiming {
  readonly #costs = new Map<string, number>()
  #floorMs = 0

  constructor(
    private readonly verify: (password: string, stored: string) => Promise<unknown>,
    /** Hashes made under the current policy start with this; they cost what the dummy costs. */
    readonly currentPrefix: string,
  ) {}

  /** Time to pad a check to, ms (0 while every stored hash is of the current policy). */
  get floorMs(): number {
    return this.#floorMs
  }

  /** Measures each format among `hashes` not measured yet (twice; the faster run counts). */
  async learn(hashes: Iterable<string>): Promise<void> {
    const samples = new Map<string, string>()
    for (const hash of hashes) {
      const format = hashFormat(hash)
      if (!this.#costs.has(format) && !hash.startsWith(this.currentPrefix)) samples.set(format, hash)
    }
    for (const [format, hash] of samples) {
      const probe = randomBytes(16).toString('base64url')
      let best = Number.POSITIVE_INFINITY
      for (let i = 0; i < 2; i++) {
        const started = performance.now()
        await this.verify(probe, hash)
        best = Math.min(best, performance.now() - started)
      }
      this.#record(format, best)
    }
  }

  /** A login verified `stored` in `ms`: update that format's cost. */
  observe(stored: string, ms: number): void {
    if (!stored.startsWith(this.currentPrefix)) this.#record(hashFormat(stored), ms)
  }

  /** Waits out what is left of the floor since `startedAt` (performance.now()). */
  async pad(startedAt: number): Promise<void> {
    const left = this.#floorMs - (performance.now() - startedAt)
    if (left > 1) await sleep(left)
  }

  #record(format: string, ms: number): void {
    const before = this.#costs.get(format)
    if (before === undefined && this.#costs.size >= MAX_FORMATS) return
    this.#costs.set(format, before === undefined ? ms : before + ALPHA * (ms - before))
    this.#floorMs = Math.min(MAX_FLOOR_MS, Math.max(...this.#costs.values()) * 1.05)
  }
}
