/**
 * `gatehouse serve` flags and lifecycle (issue 13): --port/--host feed the same defaults as
 * PORT/HOST (the development public URL follows the port actually bound); a form POST that
 * fails the Origin check because the public URL is not the address served is logged once;
 * SIGTERM to `npm start` stops the server (npm's child is the server itself), in-flight
 * requests get a configurable grace, and the port is closed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadServerConfig } from '../src/server/config.ts'
import { freePort, type GatehouseProcess, listening, spawnGatehouse } from './helpers/processes.ts'
import { createTestServer } from './helpers/server.ts'

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-lifecycle-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const env = (name: string, extra: Record<string, string> = {}) => ({
  GATEHOUSE_DATA_DIR: join(dir, name),
  GATEHOUSE_SECRET: 'lifecycle-test-secret-0123456789abcdef',
  GATEHOUSE_MODE: 'development',
  PORT: '',
  HOST: '',
  PUBLIC_URL: '',
  ...extra,
})

const portOf = (url: string) => Number(new URL(url).port)

/** Resolves with the exit code, or rejects after `ms`. */
function exitWithin(p: GatehouseProcess, ms: number): Promise<number | null> {
  return Promise.race([
    p.exited,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms),
    ),
  ])
}

describe('--port and --host are the same settings as PORT and HOST', () => {
  it('loadServerConfig: a port given as an override moves the default public URL with it', () => {
    expect(loadServerConfig({}, { port: 8314 }).publicUrl).toBe('http://localhost:8314')
    expect(loadServerConfig({ PORT: '9000' }, { port: 8314 }).port).toBe(8314)
    expect(loadServerConfig({ PUBLIC_URL: 'https://auth.example.com' }, { port: 8314 }).publicUrl).toBe(
      'https://auth.example.com',
    )
  })
})

describe('gatehouse serve', { timeout: 120_000 }, () => {
  it('--port N gives the public URL http://localhost:N; --port 0 the port actually bound', async () => {
    const port = await freePort()
    const fixed = await spawnGatehouse(env('fixed'), {
      args: ['bin/gatehouse.js', 'serve', '--port', String(port), '--host', '127.0.0.1'],
    })
    try {
      expect(fixed.url).toBe(`http://127.0.0.1:${port}`)
      expect(fixed.publicUrl).toBe(`http://localhost:${port}`)
      // A browser on the public URL posts the login form: the Origin check passes (a wrong
      // password is a 401 page, not a 403 CSRF failure).
      const page = await fetch(`http://127.0.0.1:${port}/login`, { headers: { accept: 'text/html' } })
      const cookie = page.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ')
      const token = /name="csrf_token" value="([^"]+)"/.exec(await page.text())![1]!
      const posted = await fetch(`http://127.0.0.1:${port}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          accept: 'text/html',
          cookie,
          origin: `http://localhost:${port}`,
          'sec-fetch-site': 'same-origin',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          csrf_token: token,
          login: 'nobody',
          password: 'wrong password',
        }).toString(),
      })
      expect(posted.status).not.toBe(403)
      expect(await posted.text()).not.toMatch(/cross-site request check/)
    } finally {
      await fixed.kill()
    }
    const any = await spawnGatehouse(env('any'))
    try {
      expect(portOf(any.url)).toBeGreaterThan(0)
      expect(any.publicUrl).toBe(`http://localhost:${portOf(any.url)}`)
    } finally {
      await any.kill()
    }
  })

  it('SIGTERM to `npm start` stops the server: npm and the server exit 0 and the port closes', async () => {
    const server = await spawnGatehouse(env('npm'), {
      command: 'npm',
      args: ['run', 'start', '--', '--port', '0'],
    })
    try {
      const port = portOf(server.url)
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
      server.child.kill('SIGTERM') // npm's own process
      expect(await exitWithin(server, 20_000)).toBe(0)
      expect(server.output().out).toMatch(/Received SIGTERM/)
      expect(server.output().out).toMatch(/Gatehouse stopped/)
      expect(await listening(port)).toBe(false)
    } finally {
      await server.kill()
    }
  })

  it('a request still in flight at SIGTERM gets GATEHOUSE_SHUTDOWN_GRACE_SECONDS, then the process exits 0', async () => {
    const server = await spawnGatehouse(env('grace', { GATEHOUSE_SHUTDOWN_GRACE_SECONDS: '1' }))
    try {
      const port = portOf(server.url)
      // A request whose body never finishes: it keeps its connection busy.
      const socket = connect(port, '127.0.0.1')
      await new Promise((resolve) => socket.once('connect', resolve))
      socket.on('error', () => {})
      socket.write(
        'POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"lo',
      )
      await new Promise((resolve) => setTimeout(resolve, 200)) // let the server see the request start
      const start = performance.now()
      server.child.kill('SIGTERM')
      expect(await exitWithin(server, 10_000)).toBe(0)
      const ms = performance.now() - start
      expect(ms).toBeGreaterThan(800) // it waited for the in-flight request…
      expect(ms).toBeLessThan(6000) // …for about the grace, not the default 10 s
      expect(server.output().out).toMatch(/up to 1 s/)
      socket.destroy()
    } finally {
      await server.kill()
    }
  })

  it('GATEHOUSE_SHUTDOWN_GRACE_SECONDS is a strict number', () => {
    expect(() => loadServerConfig({ GATEHOUSE_SHUTDOWN_GRACE_SECONDS: '1e3' })).toThrow(
      /GATEHOUSE_SHUTDOWN_GRACE_SECONDS/,
    )
    expect(loadServerConfig({ GATEHOUSE_SHUTDOWN_GRACE_SECONDS: '30' }).shutdownGraceSeconds).toBe(30)
    expect(loadServerConfig({}).shutdownGraceSeconds).toBe(10)
  })
})

describe('a form POST failing the Origin check because of the public URL', () => {
  it('is logged once (not per request), naming the origin and the public URL', async () => {
    const warnings: string[] = []
    const s = await createTestServer({ logger: { warn: (m) => warnings.push(m) } })
    const post = (origin: string, host: string) =>
      s.send(
        new Request(`http://${host}/login`, {
          method: 'POST',
          headers: {
            host,
            origin,
            'sec-fetch-site': origin === `http://${host}` ? 'same-origin' : 'cross-site',
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'login=a&password=b',
        }),
      )
    // A forged cross-site POST is refused and says nothing about the configuration.
    expect((await post('https://evil.example', '127.0.0.1:8314')).status).toBe(403)
    expect(warnings.filter((w) => /Origin check/.test(w))).toEqual([])
    for (let i = 0; i < 3; i++)
      expect((await post('http://127.0.0.1:8314', '127.0.0.1:8314')).status).toBe(403)
    const lines = warnings.filter((w) => /Origin check/.test(w))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /a form POST from http:\/\/127\.0\.0\.1:8314 failed the Origin check: PUBLIC_URL is http:\/\/localhost:8000/,
    )
    await s.close()
  })
})
