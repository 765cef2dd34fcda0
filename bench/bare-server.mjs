// The bare Hono app the product server is compared with: GET /healthz (and any other GET)
// answers {"status":"ok"}, what `gatehouse serve` answers on /healthz; GET /headers/* answers
// the same with the response headers `gatehouse serve` sends on JSON (its security headers),
// to tell the cost of those bytes from the server's own work. Plain JS, like a compiled app.
// Usage: node bench/bare-server.mjs; prints {"port":N} once it listens.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  'cache-control': 'no-store',
}

const app = new Hono()
app.get('/headers/*', (c) => c.json({ status: 'ok' }, 200, SECURITY_HEADERS))
app.get('*', (c) => c.json({ status: 'ok' }))
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ port: info.port })}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
