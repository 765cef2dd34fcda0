import type { Logger } from '../core/options.ts'

/** How often the server deletes expired sessions, KV rows and API keys. */
export const PURGE_EVERY_MS = 10 * 60_000

/**
 * Runs `task` every `everyMs` until the returned function is called. The task never rejects
 * (failures are logged); its promise settles when that run is over.
 */
export type Schedule = (task: () => Promise<void>, everyMs: number) => () => void

/** setInterval, unref'd: a pending purge never keeps the process alive. */
export const everyInterval: Schedule = (task, everyMs) => {
  const timer = setInterval(() => void task(), everyMs)
  timer.unref()
  return () => clearInterval(timer)
}

export interface Purging {
  /** One purge now (joins the one in flight, if any). */
  run(): Promise<void>
  /** No more purges; waits for one in flight, so the stores can be closed after it. */
  stop(): Promise<void>
}

/**
 * Purges once at start (a restart after a long downtime finds the most to delete) and then
 * on the schedule. A failure is logged and retried at the next tick: expired rows are
 * already invisible to reads, so a missed purge costs only disk space.
 */
export function startPurging(purge: () => Promise<unknown>, logger: Logger, schedule: Schedule): Purging {
  let running: Promise<void> | null = null
  const run = () => {
    running ??= purge()
      .then(
        () => {},
        (error) => logger.warn(`purging expired rows failed: ${(error as Error)?.message ?? String(error)}`),
      )
      .finally(() => {
        running = null
      })
    return running
  }
  void run()
  const cancel = schedule(run, PURGE_EVERY_MS)
  return {
    run,
    stop: async () => {
      cancel()
      await running
    },
  }
}
