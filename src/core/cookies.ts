/** Pure cookie parsing and serialisation; adapters only move the strings. */

/** Parses a Cookie header. The first occurrence of a name wins; malformed pairs are skipped. */
export function parseCookies(header: string | null | undefined): Map<string, string> {
  const out = new Map<string, string>()
  if (!header) return out
  // A huge Cookie header is not worth parsing: anything we issue is short.
  if (header.length > 16_384) header = header.slice(0, 16_384)
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    const name = part.slice(0, eq).trim()
    if (!name || out.has(name)) continue
    let value = part.slice(eq + 1).trim()
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1)
    out.set(name, value)
  }
  return out
}

/**
 * One cookie's value, by the rules of parseCookies (the first of a name wins; names and values
 * trimmed; one pair of quotes removed), without building the whole map: the session cookie is
 * read on every request.
 */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined
  if (header.length > 16_384) header = header.slice(0, 16_384)
  let at = 0
  while (at <= header.length) {
    let end = header.indexOf(';', at)
    if (end < 0) end = header.length
    const eq = header.indexOf('=', at)
    if (eq > at && eq < end && header.slice(at, eq).trim() === name) {
      const value = header.slice(eq + 1, end).trim()
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
    }
    at = end + 1
  }
  return undefined
}

export interface CookieOptions {
  maxAge?: number
  httpOnly?: boolean
  secure?: boolean
  sameSite?: 'Lax' | 'Strict' | 'None'
  path?: string
}

export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  const parts = [`${name}=${value}`, `Path=${options.path ?? '/'}`]
  if (options.maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAge))}`)
  if (options.httpOnly !== false) parts.push('HttpOnly')
  if (options.secure) parts.push('Secure')
  parts.push(`SameSite=${options.sameSite ?? 'Lax'}`)
  return parts.join('; ')
}

/** A cookie that the browser deletes at once. */
export function expiredCookie(name: string, options: Omit<CookieOptions, 'maxAge'> = {}): string {
  return serializeCookie(name, '', { ...options, maxAge: 0 })
}
