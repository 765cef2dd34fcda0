import { escapingLogger } from './log-escape.ts'

/** Where Gatehouse writes; every line it gets is already escaped (log-escape.ts). */
export interface Logger {
  warn(message: string): void
  info?(message: string): void
  /** Unexpected errors (with their stack); falls back to warn. */
  error?(message: string): void
}

/** Logs an unexpected (non-AuthError) failure with its stack, in one call. */
export function logUnexpected(logger: Logger | undefined, where: string, error: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error)
  // `where` carries the request path: escaped whichever logger gets it (wrapping twice is a no-op).
  const out = escapingLogger(logger ?? { warn: (m) => console.error(`[gatehouse] ${m}`) })
  const line = `${where} failed: ${detail}`
  if (out.error) out.error(line)
  else out.warn(line)
}
