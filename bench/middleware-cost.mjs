// What async Hono middlewares cost on their own: a bare app with 0, 1 and 2 middlewares that
// only `c.set` and `await next()`, each loaded with 100,000 GETs; prints the server's CPU time
// per answer (/proc, Linux). Usage: node bench/middleware-cost.mjs
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { serve } from '@hono/node-server'
import autocannon from 'autocannon'
import { Hono } from 'hono'

if (process.argv[2] === 'serve') {
  const app = new Hono()
  for (let i = 0; i < Number(process.argv[3]); i++)
    app.use(async (c, next) => {
      c.set(`k${i}`, i)
      await next()
    })
  app.get('*', (c) => c.json({ hello: 'world' }))
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
    process.stdout.write(`${JSON.stringify({ port: info.port })}\n`),
  )
} else {
  const cpu = (pid) => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  }
  const amount = 100_000
  for (const n of [0, 1, 2, 0, 1, 2]) {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve', String(n)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const port = await new Promise((r) => child.stdout.once('data', (d) => r(JSON.parse(String(d)).port)))
    const url = `http://127.0.0.1:${port}/hello`
    await autocannon({ url, connections: 10, duration: 1 })
    const before = cpu(child.pid)
    await autocannon({ url, connections: 10, amount })
    console.log(
      `${n} middleware(s): server ${(((cpu(child.pid) - before) * 1e6) / amount).toFixed(1)} µs/req`,
    )
    child.kill()
    await new Promise((r) => child.on('exit', r))
  }
}
