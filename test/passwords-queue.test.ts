import { describe, expect, it } from 'vitest'
import { AuthError } from '../src/core/errors.ts'
import { AdmissionQueue } from '../src/core/methods/password/hashing/index.ts'

interface Deferred<T> {
  promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Lets every pending promise reaction run; no timers involved. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('AdmissionQueue', () => {
  it('runs at most `concurrency` jobs and starts waiters first in, first out', async () => {
    const queue = new AdmissionQueue({ concurrency: 2, maxWaiting: 10 })
    const gates = Array.from({ length: 5 }, () => deferred<number>())
    const started: number[] = []
    let running = 0
    let peak = 0
    const results = gates.map((gate, i) =>
      queue.run(async () => {
        started.push(i)
        running++
        peak = Math.max(peak, running)
        try {
          return await gate.promise
        } finally {
          running--
        }
      }),
    )

    await settle()
    expect(started).toEqual([0, 1])
    expect([queue.active, queue.waiting]).toEqual([2, 3])

    gates[1]!.resolve(1)
    await settle()
    expect(started).toEqual([0, 1, 2])
    expect([queue.active, queue.waiting]).toEqual([2, 2])

    gates[0]!.resolve(0)
    gates[2]!.resolve(2)
    await settle()
    expect(started).toEqual([0, 1, 2, 3, 4])

    gates[3]!.resolve(3)
    gates[4]!.resolve(4)
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4])
    expect(peak).toBe(2)
    expect([queue.active, queue.waiting]).toEqual([0, 0])
  })

  it('refuses with OVERLOADED and retryAfter at once when maxWaiting are already waiting', async () => {
    const queue = new AdmissionQueue({ concurrency: 1, maxWaiting: 2 })
    const gate = deferred()
    const held = [queue.run(() => gate.promise), queue.run(() => gate.promise), queue.run(() => gate.promise)]
    let called = false

    const error = await queue
      .run(() => {
        called = true
      })
      .catch((e: unknown) => e)

    // Refused while every admitted job is still pending: the caller did not wait for a slot.
    expect(error).toBeInstanceOf(AuthError)
    expect(error).toMatchObject({ code: 'OVERLOADED', status: 503, retryAfter: 1 })
    expect(called).toBe(false)
    expect([queue.active, queue.waiting]).toEqual([1, 2])

    gate.resolve()
    await Promise.all(held)
    // Room again once the backlog drains.
    await expect(queue.run(() => 'ok')).resolves.toBe('ok')
  })

  it('with maxWaiting 0 admits only what can run now', async () => {
    const queue = new AdmissionQueue({ concurrency: 1, maxWaiting: 0 })
    const gate = deferred()
    const first = queue.run(() => gate.promise)
    await expect(queue.run(() => 'second')).rejects.toMatchObject({ code: 'OVERLOADED' })
    gate.resolve()
    await first
    await expect(queue.run(() => 'third')).resolves.toBe('third')
  })

  it('frees the slot when a job throws or rejects', async () => {
    const queue = new AdmissionQueue({ concurrency: 1, maxWaiting: 1 })
    await expect(
      queue.run(() => {
        throw new Error('sync')
      }),
    ).rejects.toThrow('sync')
    await expect(queue.run(() => Promise.reject(new Error('async')))).rejects.toThrow('async')
    expect(queue.active).toBe(0)
    await expect(queue.run(() => 42)).resolves.toBe(42)
  })

  it('hands a freed slot to the next waiter, never to more jobs than concurrency', async () => {
    const queue = new AdmissionQueue({ concurrency: 1, maxWaiting: 1 })
    const first = deferred()
    const second = deferred()
    const a = queue.run(() => first.promise)
    const b = queue.run(() => second.promise)
    first.resolve()
    await a
    // The slot went straight to the waiter: still one active, nobody waiting, one more may queue.
    expect([queue.active, queue.waiting]).toEqual([1, 0])
    const c = queue.run(() => 'c')
    expect(queue.waiting).toBe(1)
    await expect(queue.run(() => 'd')).rejects.toMatchObject({ code: 'OVERLOADED' })
    second.resolve()
    await b
    await expect(c).resolves.toBe('c')
  })

  it('fails closed on bad options', () => {
    expect(() => new AdmissionQueue({ concurrency: 0, maxWaiting: 1 })).toThrow(AuthError)
    expect(() => new AdmissionQueue({ concurrency: 1.5, maxWaiting: 1 })).toThrow(/concurrency/)
    expect(() => new AdmissionQueue({ concurrency: 1, maxWaiting: -1 })).toThrow(/maxWaiting/)
  })
})
