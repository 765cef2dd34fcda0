import type { MiddlewareHandler } from 'hono'

/**
 * The pages write their links as the server serves them (`/login`, `/profile`); mounted under
 * a prefix they must point under it. This rewrites, in HTML answers and in `Location`, the
 * absolute paths that name one of the pages — `/login?next=/private` gets the prefix, the
 * `next` it carries (the app's own route) does not, so a login still lands on the app's page.
 */
export function prefixLinks(prefix: string, routes: readonly { path: string }[]): MiddlewareHandler {
  const patterns = [...new Set(routes.map((r) => r.path))].map(
    (path) => new RegExp(`^${path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[^/]+/g, '[^/]+')}$`),
  )
  const ours = (path: string) => path.startsWith('/static/') || patterns.some((re) => re.test(path))
  const fix = (url: string): string => {
    if (!url.startsWith('/') || url.startsWith('//') || url === prefix || url.startsWith(`${prefix}/`))
      return url
    const path = url.split(/[?#]/, 1)[0]!
    return ours(path) ? `${prefix}${url}` : url
  }
  return async function prefixLinksMiddleware(c, next) {
    await next()
    const location = c.res.headers.get('location')
    if (location) c.res.headers.set('location', fix(location))
    if (!(c.res.headers.get('content-type') ?? '').startsWith('text/html')) return
    const html = await c.res.text()
    const rewritten = html.replace(
      /(\s(?:href|action|src)=")(\/[^"]*)"/g,
      (_, attribute: string, url: string) => `${attribute}${fix(url)}"`,
    )
    const headers = new Headers(c.res.headers)
    headers.delete('content-length')
    const { status } = c.res
    // Unset first: assigning c.res copies the old response's headers onto the new one.
    c.res = undefined
    c.res = new Response(rewritten, { status, headers })
  }
}
