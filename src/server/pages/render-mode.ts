import { jsx } from 'hono/jsx'

type ProcessProbe = { getBuiltinModule?: (id: string) => unknown; mainModule?: unknown }

/**
 * Makes hono/jsx render without an AsyncLocalStorage, for the life of this process.
 *
 * hono/jsx runs every render inside an AsyncLocalStorage when it finds one (so that context
 * values survive an `await` in an async component). On Node 20 and 22 the first `run` of an
 * AsyncLocalStorage turns on promise hooks for good: every later `await` of every request,
 * API included, pays for them — measured 5x per await, and /healthz and bearer /api/me 30%
 * more CPU once one page has been shown. Gatehouse's pages use no context and no async
 * component, so nothing is lost: hono/jsx is let to look for AsyncLocalStorage once, while
 * node:async_hooks is hidden from it, and it keeps its synchronous fallback.
 *
 * Called by `gatehouse serve`, which owns its process; a library app's own hono/jsx is left
 * alone. Returns false when hono/jsx had already looked (something rendered before).
 */
export function renderPagesWithoutAsyncContext(): boolean {
  const proc = process as unknown as ProcessProbe
  const getBuiltinModule = proc.getBuiltinModule
  const mainModule = proc.mainModule
  const hidden = (id: string) => id === 'node:async_hooks' || id === 'async_hooks'
  if (typeof getBuiltinModule === 'function')
    proc.getBuiltinModule = (id: string) => (hidden(id) ? undefined : getBuiltinModule.call(process, id))
  if (mainModule !== undefined) proc.mainModule = undefined
  try {
    // Any render makes hono/jsx look, once.
    return String(jsx('i', {})) === '<i></i>'
  } finally {
    if (typeof getBuiltinModule === 'function') proc.getBuiltinModule = getBuiltinModule
    if (mainModule !== undefined) proc.mainModule = mainModule
  }
}
