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
  const line = `${where} failed: ${detail}`
  if (!logger) console.error(`[gatehouse] ${line}`)
  else if (logger.error) logger.error(line)
  else logger.warn(line)
}
