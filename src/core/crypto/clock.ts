/** Milliseconds since the epoch, like Date.now (the default). Injected by tests, so no test sleeps. */
export type Clock = () => number

/** Whole unix seconds, as Python's int(time.time()): the unit Fernet and itsdangerous timestamps use. */
export function nowSeconds(clock: Clock): number {
  const ms = clock()
  if (typeof ms !== 'number' || !Number.isFinite(ms))
    throw new RangeError('clock: must return milliseconds since the epoch')
  return Math.floor(ms / 1000)
}
