/** Request helpers of the client: which URLs are the server's, and JSON bodies. */

/**
 * True for a request to the server at `baseUrl` (a same-origin path, or an absolute URL on
 * its origin under its path prefix): only those get the access token, never another origin.
 */
export function isForServer(input: string | URL | Request, baseUrl: string): boolean {
  const raw = input instanceof Request ? input.url : String(input)
  if (raw.startsWith('/') && !raw.startsWith('//')) return true
  try {
    const target = new URL(raw)
    const base = new URL(baseUrl || 'http://invalid')
    return target.origin === base.origin && target.pathname.startsWith(base.pathname.replace(/\/?$/, '/'))
  } catch {
    return false
  }
}

/** A POST with a JSON body. */
export function jsonInit(body: unknown): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
}
