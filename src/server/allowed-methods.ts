import type { Hono } from 'hono'

/** A Hono route path as a RegExp: `:id` one segment, `:id{re}` that pattern, `*` anything. */
function pathPattern(path: string): RegExp {
  let re = ''
  let i = 0
  while (i < path.length) {
    const ch = path[i]!
    if (ch === ':') {
      const m = /^:[A-Za-z0-9_]+(\{((?:[^{}]|\{[^{}]*\})+)\})?\??/.exec(path.slice(i))!
      re += m[2] ? `(?:${m[2]})` : '[^/]+'
      i += m[0].length
    } else if (ch === '*') {
      re += '.*'
      i++
    } else {
      re += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      i++
    }
  }
  return new RegExp(`^${re}/?$`)
}

/**
 * The methods the app's routes answer on `path` (GET implies HEAD), for a 405's Allow header;
 * empty when no route has this path, which is then a plain 404. Middleware (ALL) is left out.
 */
export function allowedMethods(app: Hono): (path: string, method?: string) => string[] {
  let compiled: { method: string; re: RegExp }[] | null = null
  return (path, method) => {
    compiled ??= app.routes
      .filter((r) => r.method !== 'ALL' && r.path !== '/*' && r.path !== '*')
      .map((r) => ({ method: r.method.toUpperCase(), re: pathPattern(r.path) }))
    const methods = new Set(compiled.filter((r) => r.re.test(path)).map((r) => r.method))
    if (methods.has('GET')) methods.add('HEAD')
    // A route that takes this method and found nothing (its own 404) is not a 405.
    if (method && methods.has(method.toUpperCase())) return []
    return [...methods].sort()
  }
}
