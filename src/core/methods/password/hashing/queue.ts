import { AuthError } from '../../../errors.ts'
import { checkInteger } from './params.ts'

export interface AdmissionQueueOptions {
  /** Jobs running at once. Hashing runs on the libuv pool (4 threads by default): keep this below it. */
  concurrency: number
  /** Jobs allowed to wait for a slot; one more is refused at once. */
  maxWaiting: number
}

/**
 * Bounds concurrent expensive work. Past `maxWaiting`, `run` rejects at once with OVERLOADED
 * (503 + Retry-After) instead of letting every login's latency grow, so a flood of logins
 * cannot starve the thread pool that other requests need. Waiters are served first in, first out.
 */
export class AdmissionQueue {
  readonly concurrency: number
  readonly maxWaiting: number
  #active = 0
  readonly #waiting: Array<() => void> = []

  constructor(options: AdmissionQueueOptions) {
    checkInteger('concurrency', options.concurrency, 1)
    checkInteger('maxWaiting', options.maxWaiting, 0)
    this.concurrency = options.concurrency
    this.maxWaiting = options.maxWaiting
  }

  /** Jobs running now. */
  get active(): number {
    return this.#active
  }

  /** Jobs waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length
  }

  /** True when `run` would refuse now: callers can refuse before doing any other work. */
  get full(): boolean {
    return this.#active >= this.concurrency && this.#waiting.length >= this.maxWaiting
  }

  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.#active < this.concurrency) {
      this.#active++
    } else if (this.#waiting.length >= this.maxWaiting) {
      throw new AuthError('OVERLOADED', { retryAfter: 1 })
    } else {
      // The finishing job hands its slot straight to us (see #release), so a newcomer cannot
      // take it in between and `active` never exceeds `concurrency`.
      await new Promise<void>((resolve) => this.#waiting.push(resolve))
    }
    try {
      return await fn()
    } finally {
      this.#release()
    }
  }

  #release(): void {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#active--
  }
}
