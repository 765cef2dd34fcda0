import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'

type NodeIncoming = {
  httpVersionMajor?: number
  headers: Record<string, string | string[] | undefined>
}

function http1Incoming(c: Context): NodeIncoming | undefined {
  const incoming = (c.env as { incoming?: NodeIncoming } | undefined)?.incoming
  return incoming?.headers && incoming.httpVersionMajor === 1 ? incoming : undefined
}

/**
 * The request body cap, without materialising the Web Request when it can be avoided.
 * hono's bodyLimit reads `c.req.raw.body`, which makes @hono/node-server build the full
 * undici Request (headers copy, AbortSignal) for every request, GETs included. Under
 * HTTP/1.1 Node's own headers say it all: neither Content-Length nor Transfer-Encoding
 * means no body; a Content-Length is checked as a number (Node's parser guarantees the
 * body is exactly that long). Only a chunked body, or a request not from @hono/node-server
 * (app.request in tests, HTTP/2), is counted while read by hono's bodyLimit.
 */
export function requestBodyLimit(
  maxSize: number,
  onError: (c: Context) => Response | Promise<Response>,
): MiddlewareHandler {
  const streamed = bodyLimit({ maxSize, onError })
  // Not async: a request it lets through gets no promise of its own.
  return function requestBodyLimitMiddleware(c, next) {
    const incoming = http1Incoming(c)
    if (!incoming || incoming.headers['transfer-encoding'] !== undefined) return streamed(c, next)
    const length = incoming.headers['content-length']
    if (typeof length === 'string' && Number.parseInt(length, 10) > maxSize)
      return Promise.resolve(onError(c))
    return next()
  }
}
