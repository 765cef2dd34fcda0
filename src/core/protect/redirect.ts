/**
 * Returns `next` when it is a same-origin relative path, else `fallback` (ASVS 3.7.2).
 * Rejects `//evil.com`, `/\evil.com`, `https://…`, `javascript:…` and anything with
 * control characters, which browsers may strip to turn `/\t/evil.com` into `//evil.com`.
 */
export function safeRedirect(next: string | null | undefined, fallback: string): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return fallback
  if (!next.startsWith('/')) return fallback
  if (next.startsWith('//') || next.startsWith('/\\')) return fallback
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return fallback
  try {
    const base = 'http://gatehouse.invalid'
    const url = new URL(next, base)
    if (url.origin !== base) return fallback
    return url.pathname + url.search + url.hash
  } catch {
    return fallback
  }
}
