/** The revocation state in memory: exact through the channel, a store read whenever it cannot be sure. */
import { describe, expect, it } from 'vitest'
import { fakeClock } from '../src/core/clock.ts'
import { RevocationState } from '../src/core/tokens/revocation-state.ts'
import type { Invalidation, InvalidationBus, KeyValueStore } from '../src/stores/contracts.ts'
import { MemoryKeyValueStore } from '../src/stores/memory/kv.ts'

/** A channel whose epoch the test sets (null = down), delivering published events at once. */
function testBus() {
  const listeners = new Set<(e: Invalidation) => void>()
  const state = { epoch: 0 as number | null }
  const bus: InvalidationBus = {
    publish: async (e) => {
      for (const l of listeners) l(e)
    },
    subscribe: (l) => {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    epoch: () => state.epoch,
    settled: () => null,
    close: async () => {},
  }
  return { bus, state }
}

/** Counts reads, and can hold one back until released. */
function countingKv(kv: KeyValueStore) {
  const counter = { reads: 0, hold: null as null | Promise<void> }
  const wrapped: KeyValueStore = {
    ...kv,
    get: async (key) => {
      counter.reads++
      const value = await kv.get(key)
      if (counter.hold) await counter.hold
      return value
    },
  }
  return { kv: wrapped, counter }
}

const claims = { jti: 'jti-1', sub: 'user-1', gen: undefined }

describe('revocation state', () => {
  it('answers repeated checks from memory and sees an announced revocation at once', async () => {
    const clock = fakeClock()
    const memory = new MemoryKeyValueStore(clock)
    const { kv, counter } = countingKv(memory)
    const { bus } = testBus()
    const state = new RevocationState(kv, bus, clock)
    expect(await state.isRevoked(claims)).toBe(false)
    const after = counter.reads
    expect(await state.isRevoked(claims)).toBe(false)
    expect(counter.reads).toBe(after)
    await memory.set('tok:jti:jti-1', '1', 60)
    await bus.publish({ kind: 'revocation', key: 'tok:jti:jti-1' })
    expect(await state.isRevoked(claims)).toBe(true)
  })

  it('reads the store on every check while the channel is down, and after its epoch moved', async () => {
    const clock = fakeClock()
    const memory = new MemoryKeyValueStore(clock)
    const { kv, counter } = countingKv(memory)
    const { bus, state: channel } = testBus()
    const state = new RevocationState(kv, bus, clock)
    await state.isRevoked(claims)
    channel.epoch = null
    // Unannounced: only a store read can see it.
    await memory.set('tok:gen:user-1', 'other', 60)
    expect(await state.isRevoked(claims)).toBe(true)
    const reads = counter.reads
    expect(await state.isRevoked(claims)).toBe(true)
    expect(counter.reads).toBeGreaterThan(reads)
    await memory.delete('tok:gen:user-1')
    channel.epoch = 1
    expect(await state.isRevoked(claims)).toBe(false)
  })

  it('does not keep a read that was in flight when a change was announced', async () => {
    const clock = fakeClock()
    const memory = new MemoryKeyValueStore(clock)
    const { kv, counter } = countingKv(memory)
    const { bus } = testBus()
    const state = new RevocationState(kv, bus, clock)
    let release = () => {}
    counter.hold = new Promise<void>((resolve) => {
      release = resolve
    })
    const pending = state.isRevoked(claims)
    await new Promise((resolve) => setImmediate(resolve))
    await memory.set('tok:jti:jti-1', '1', 60)
    await bus.publish({ kind: 'revocation', key: 'tok:jti:jti-1' })
    counter.hold = null
    release()
    expect(await pending).toBe(false) // read before the revocation
    expect(await state.isRevoked(claims)).toBe(true) // but not kept
  })

  it('re-reads an entry after a minute (a generation that expired in the store does not live on)', async () => {
    const clock = fakeClock()
    const memory = new MemoryKeyValueStore(clock)
    const { kv } = countingKv(memory)
    const { bus } = testBus()
    await memory.set('tok:gen:user-1', 'old', 30)
    const state = new RevocationState(kv, bus, clock)
    expect(await state.isRevoked(claims)).toBe(true)
    clock.advance(61_000)
    expect(await state.isRevoked(claims)).toBe(false)
  })
})
