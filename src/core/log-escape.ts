import type { Logger } from './logger.ts'

/**
 * Log lines carry request data (paths, user agents, mail subjects). A control character in
 * them would let a client forge a line ("%0A[gatehouse] login ok admin") or rewrite the
 * terminal (ESC sequences), so every line is escaped before it is written: \n \r \t, the rest
 * of C0, DEL, C1 and U+2028/U+2029 become visible escapes, and a backslash is doubled so an
 * escape cannot be faked by sending one.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/g

const NAMED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

export function escapeLogLine(line: string): string {
  return line.replace(UNSAFE, (ch) => NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

const ESCAPING = Symbol('gatehouse.escapingLogger')

/** `logger` with every line escaped; wrapping twice is a no-op, so lines are never escaped twice. */
export function escapingLogger(logger: Logger): Logger {
  if ((logger as { [ESCAPING]?: true })[ESCAPING]) return logger
  const { info, error } = logger
  return {
    [ESCAPING]: true,
    warn: (message: string) => logger.warn(escapeLogLine(String(message))),
    ...(info ? { info: (message: string) => info.call(logger, escapeLogLine(String(message))) } : {}),
    ...(error ? { error: (message: string) => error.call(logger, escapeLogLine(String(message))) } : {}),
  } as Logger
}
