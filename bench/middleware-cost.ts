// What async Hono middlewares cost on their own: a bare app with 0, 1 and 2 middlewares that
// only `c.set` and `await next()`, each loaded for 4 s; prints the server's CPU time
// per answer (/proc, Linux). Usage: npx tsx bench/middleware-cost.ts
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { runLoad } from './load.ts'

if (process.argv[2] === 'serve') {
  const app = new Hono()
  for (let i = 0; i < Number(process.argv[3]); i++)
    app.use(async (c, next) => {
      c.set(`k${i}` as never, i as never)
      await next()
    })
  app.get('*', (c) => c.json({ hello: 'world' }))
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
    process.stdout.write(`${JSON.stringify({ port: info.port })}\n`),
  )
} else {
  for (const n of [0, 1, 2, 0, 1, 2]) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), 'serve', String(n)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    const port = await new Promise<number>((r) =>
      child.stdout.once('data', (d) => r(JSON.parse(String(d)).port)),
    )
    const result = await runLoad({
      url: `http://127.0.0.1:${port}/hello`,
      connections: 10,
      duration: 4,
      warmup: 1,
      serverPid: child.pid!,
    })
    console.log(`${n} middleware(s): server ${result.serverCpuMicros?.toFixed(1)} µs/req`)
    child.kill()
    await new Promise((r) => child.on('exit', r))
  }
}
