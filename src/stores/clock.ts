/**
 * Milliseconds since the epoch. Injected everywhere time matters so tests control it.
 * Kept here, next to the contracts, so stores and core share it without stores importing the core.
 */
export type Clock = () => number

export const systemClock: Clock = () => Date.now()

/** A clock for tests: starts at `start` and moves only when told. */
export function fakeClock(
  start = Date.UTC(2026, 0, 1),
): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start
  const clock = (() => now) as Clock & { advance(ms: number): void; set(ms: number): void }
  clock.advance = (ms) => {
    now += ms
  }
  clock.set = (ms) => {
    now = ms
  }
  return clock
}
