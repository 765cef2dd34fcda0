import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { escapeLogLine } from '../core/log-escape.ts'
import { createServer, type GatehouseServer } from './app.ts'
import { defaultPublicUrl, type ServerConfig } from './config.ts'
import { securityHeadersServerOptions } from './headers.ts'
import { renderPagesWithoutAsyncContext } from './pages/render-mode.ts'
import { retryWhileUnreachable, startingFetch, storesNamedBy } from './start-retry.ts'

export interface RunningServer {
  gatehouse: GatehouseServer
  server: Server
  url: string
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes the stores. */
  stop(graceMs?: number): Promise<void>
}

/** Starts the HTTP server and prints where it listens and what it runs on. */
export async function startServer(
  config: ServerConfig,
  print: (line: string) => void = console.log,
): Promise<RunningServer> {
  const log = (line: string) => print(escapeLogLine(line))
  // Before anything renders: no promise hooks for the pages' sake (render-mode.ts).
  renderPagesWithoutAsyncContext()
  // The socket is bound first, so a default public URL can name the port actually bound
  // (`--port 0`); until the service is built (a store may be down: it is retried), /healthz
  // answers 200 and every other request 503.
  let waitingOn: string[] = []
  let fetch: (request: Request, env: unknown) => Response | Promise<Response> = (request) =>
    startingFetch(request, waitingOn)
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve(
      {
        fetch: (request, env) => fetch(request, env),
        port: config.port,
        hostname: config.host,
        serverOptions: securityHeadersServerOptions,
      },
      () => resolve(s as Server),
    ) as Server
    s.once('error', reject)
  })
  server.headersTimeout = 15_000
  server.requestTimeout = 30_000
  const { port } = server.address() as AddressInfo
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`
  if (config.publicUrlIsDefault && port !== config.port)
    config = { ...config, port, publicUrl: defaultPublicUrl(port) }
  let gatehouse: GatehouseServer
  try {
    const ready = config
    gatehouse = await retryWhileUnreachable(() => createServer(ready), {
      log: (line) => log(`[gatehouse] ${line}`),
      onWaiting: (error) => {
        waitingOn = storesNamedBy(error)
      },
    })
  } catch (error) {
    await new Promise((resolve) => server.close(resolve))
    throw error
  }
  fetch = gatehouse.app.fetch
  const { auth, mailer } = gatehouse.services
  log(`Gatehouse listening on ${url} (public URL ${config.publicUrl}, ${auth.options.mode} mode)`)
  log(`  stores: ${auth.stores.description}`)
  log(`  mail:   ${mailer.description}`)

  let stopping: Promise<void> | null = null
  const stop = (graceMs = 10_000) => {
    stopping ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), graceMs)
      force.unref()
      server.close(() => {
        clearTimeout(force)
        resolve()
      })
      server.closeIdleConnections()
    }).then(() => gatehouse.close())
    return stopping
  }
  return { gatehouse, server, url, stop }
}
