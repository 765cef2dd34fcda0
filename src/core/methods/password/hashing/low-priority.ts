import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { hash, type Options, verify } from '@node-rs/argon2'

/**
 * argon2 on threads of their own that the OS schedules after everything else, so a login
 * flood's hashing never takes the CPU from the event loop: when the loop has work it runs, and
 * hashing uses what is left. On the libuv pool (the binding's async calls) hashes compete with
 * the loop as equals — on 2 cores one hash in flight costs authenticated requests half the
 * machine. Linux only: nice 19 (setpriority on the thread id), then SCHED_IDLE where util-linux
 * `chrt` is installed — nice alone still let a hash take 11-19 % of the main thread's core
 * during a flood (measured, BENCHMARKS.md), and it means nothing against a process in another
 * autogroup (the load of a different session). Elsewhere the threads keep the default
 * priority. The admission queue bounds how many run at once.
 */

// CommonJS, evaluated: the same code runs from the TypeScript sources and from a build.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
try {
  const tid = Number(require('node:fs').readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0])
  require('node:os').setPriority(tid, workerData.nice)
  // Unprivileged threads may always lower themselves to SCHED_IDLE (sched(7)); Node has no call for it.
  require('node:child_process').execFileSync('chrt', ['--idle', '--pid', '0', String(tid)], { stdio: 'ignore', timeout: 5000 })
} catch {}
const argon2 = require(workerData.binding)
parentPort.on('message', ({ op, a, b }) => {
  try {
    parentPort.postMessage({ ok: op === 'hash' ? argon2.hashSync(a, b) : argon2.verifySync(a, b) })
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) })
  }
})
`

const NICE = 19
const binding = createRequire(import.meta.url).resolve('@node-rs/argon2')

type Job = { op: 'hash' | 'verify'; a: unknown; b: unknown }
type Answer = { ok?: string | boolean; error?: string }
type Pending = { resolve(v: Answer): void; reject(e: Error): void }

class HashThread {
  readonly #worker: Worker
  #pending: Pending | null = null
  /** Answered at least once: it works here (a thread that dies at once means no threads). */
  answered = false

  constructor(onGone: (t: HashThread) => void) {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { binding, nice: NICE } })
    this.#worker.unref()
    this.#worker.on('message', (answer: Answer) => {
      this.answered = true
      this.#settle((p) => p.resolve(answer))
    })
    const gone = (error: unknown) => {
      onGone(this)
      this.#settle((p) => p.reject(error instanceof Error ? error : new Error('hashing thread exited')))
    }
    this.#worker.once('error', gone)
    this.#worker.once('exit', gone)
  }

  get idle(): boolean {
    return this.#pending === null
  }

  run(job: Job): Promise<Answer> {
    // Referenced while a job runs: a CLI awaiting only its hash must not exit meanwhile.
    this.#worker.ref()
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject }
      this.#worker.postMessage(job)
    })
  }

  #settle(fn: (p: Pending) => void): void {
    const p = this.#pending
    this.#pending = null
    this.#worker.unref()
    if (p) fn(p)
  }
}

const threads: HashThread[] = []
let unavailable = false

async function onThread(job: Job): Promise<Answer | null> {
  if (unavailable) return null
  let thread = threads.find((t) => t.idle)
  if (!thread) {
    try {
      thread = new HashThread((gone) => {
        const at = threads.indexOf(gone)
        if (at >= 0) threads.splice(at, 1)
      })
    } catch {
      unavailable = true // No worker threads here: the binding's own async calls instead.
      return null
    }
    threads.push(thread)
  }
  try {
    return await thread.run(job)
  } catch (error) {
    if (thread.answered) throw error
    unavailable = true
    return null
  }
}

function unwrap<T>(answer: Answer): T {
  if (answer.error !== undefined) throw new Error(answer.error)
  return answer.ok as T
}

/** argon2 hash (PHC string) on a low-priority thread. */
export async function argon2Hash(password: Uint8Array, options: Options): Promise<string> {
  const answer = await onThread({ op: 'hash', a: password, b: options })
  return answer ? unwrap<string>(answer) : hash(password, options)
}

/** argon2 verify on a low-priority thread; throws what the binding throws on a bad stored hash. */
export async function argon2Verify(stored: string, password: Uint8Array): Promise<boolean> {
  const answer = await onThread({ op: 'verify', a: stored, b: password })
  return answer ? unwrap<boolean>(answer) : verify(stored, password)
}
