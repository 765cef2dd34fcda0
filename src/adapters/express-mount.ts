import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { Auth } from '../core/auth.ts'
import { AuthError, errorResponse } from '../core/errors.ts'
import { type EmbedOptions, embeddedApp, mountMailer, UNMATCHED } from '../server/embed.ts'

export type GatehouseRouterOptions = EmbedOptions

const MAX_BODY = 64 * 1024

/**
 * `app.use('/auth', gatehouseRouter(auth))`: the same routes as the Hono mount, under the
 * path Express mounts it at (`req.baseUrl`). A body already parsed by express.json() or
 * express.urlencoded() is passed on as it was sent; a path the mount does not serve calls next().
 */
export function gatehouseRouter(auth: Auth, options: GatehouseRouterOptions = {}): RequestHandler {
  mountMailer(auth) // production without a mailer fails now, at start
  return function gatehouseRouterMiddleware(req: Request, res: Response, next: NextFunction) {
    serve(auth, options, req, res, next).catch(next)
  }
}

async function serve(auth: Auth, options: EmbedOptions, req: Request, res: Response, next: NextFunction) {
  const body = await requestBody(req)
  const response =
    body === 'too-large'
      ? errorResponse(new AuthError('PAYLOAD_TOO_LARGE'))
      : await embeddedApp(auth, req.baseUrl, options).fetch(toFetchRequest(req, body), {
          // What gatehouse() reads of a Node request (the socket's address), with the unstripped URL.
          incoming: { socket: req.socket, headers: req.headers, method: req.method, url: req.originalUrl },
          gatehouseClientIp: req.ip ?? null,
        })
  if (response.headers.has(UNMATCHED)) return next()
  res.status(response.status)
  for (const [name, value] of response.headers) if (name !== 'set-cookie') res.setHeader(name, value)
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) res.setHeader('set-cookie', cookies)
  res.end(Buffer.from(await response.arrayBuffer()))
}

function toFetchRequest(req: Request, body: Uint8Array | null): globalThis.Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v)
  }
  if (body) headers.set('content-length', String(body.byteLength))
  const url = `http://${req.headers.host ?? 'localhost'}${req.originalUrl}`
  return new globalThis.Request(url, { method: req.method, headers, body: body as BodyInit | null })
}

/** The raw body (at most 64 KiB), or what a body parser before us made of it, re-encoded. */
async function requestBody(req: Request): Promise<Uint8Array | null | 'too-large'> {
  if (req.method === 'GET' || req.method === 'HEAD') return null
  const parsed: unknown = req.body
  if ((req as { _body?: boolean })._body || req.readableEnded) {
    if (parsed === undefined) return null
    const type = req.headers['content-type'] ?? ''
    const text = type.includes('application/x-www-form-urlencoded')
      ? new URLSearchParams(parsed as Record<string, string>).toString()
      : JSON.stringify(parsed)
    return new TextEncoder().encode(text)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY) return 'too-large'
    chunks.push(chunk)
  }
  return size === 0 ? null : Buffer.concat(chunks)
}
