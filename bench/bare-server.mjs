// The bare Hono app the product server is compared with: every GET answers {"status":"ok"}
// (what `gatehouse serve` answers on /healthz), nothing else. Plain JS, like a compiled app.
// Usage: node bench/bare-server.mjs; prints {"port":N} once it listens.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono()
app.get('*', (c) => c.json({ status: 'ok' }))
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ port: info.port })}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
