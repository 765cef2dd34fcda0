/** Settings that decide a protection: parsed strictly, never coerced into the unsafe value. */

import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createAuth } from '../src/core/auth.ts'
import { fakeClock } from '../src/core/clock.ts'
import { createServer } from '../src/server/app.ts'
import { loadServerConfig } from '../src/server/config.ts'
import { startServer } from '../src/server/serve.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { Client } from './helpers/client.ts'

const BASE_ENV = {
  GATEHOUSE_MODE: 'test',
  GATEHOUSE_SECRET: 'test-secret-for-the-server-0123456789abcdef',
  DATABASE_URL: 'sqlite::memory:',
}

describe('boolean settings', () => {
  it('read true/1/yes/on and false/0/no/off, any case, and refuse anything else naming the variable', () => {
    for (const value of ['false', '0', 'no', 'off', 'OFF', 'False', ' no '])
      expect([value, loadServerConfig({ GATEHOUSE_TRUST_PROXY: value }).trustProxy]).toEqual([value, false])
    for (const value of ['true', '1', 'yes', 'on', 'TRUE', 'Yes'])
      expect([value, loadServerConfig({ GATEHOUSE_TRUST_PROXY: value }).trustProxy]).toEqual([value, true])
    for (const value of ['maybe', 'disabled', '2', 'nope'])
      expect(() => loadServerConfig({ GATEHOUSE_TRUST_PROXY: value })).toThrow(/GATEHOUSE_TRUST_PROXY/)
    expect(loadServerConfig({}).trustProxy).toBe(false)
  })

  it('GATEHOUSE_TRUST_PROXY=false lets no client choose its IP with X-Forwarded-For', async () => {
    const config = loadServerConfig(
      { ...BASE_ENV, GATEHOUSE_TRUST_PROXY: 'false' },
      { auth: { throttle: { ip: { points: 5, duration: 900 }, account: { points: 1000, duration: 900 } } } },
    )
    const clock = fakeClock()
    const server = await createServer(config, {
      stores: createMemoryStores({ clock }),
      clock,
      mailer: { description: 'none', send: async () => {} },
      logger: { warn: () => {} },
    })
    const statuses: number[] = []
    for (let i = 0; i < 7; i++) {
      const res = await new Client(async (r) => server.app.request(r)).post(
        '/api/auth/login',
        { login: `nobody${i}`, password: 'wrong guess here' },
        { 'x-forwarded-for': `10.0.0.${i}` },
      )
      statuses.push(res.status)
    }
    // Every attempt counts against the one real client address: the sixth is refused.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429])
    await server.close()
  })
})

describe('test mode', () => {
  it('is refused when NODE_ENV=production, naming the option', async () => {
    const saved = process.env.NODE_ENV
    process.env.NODE_ENV = 'production'
    try {
      await expect(createAuth({ mode: 'test', stores: createMemoryStores() })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('"mode"'),
      })
    } finally {
      process.env.NODE_ENV = saved
    }
    // Outside production it still works (the test suites run on it).
    await expect(createAuth({ mode: 'test', stores: createMemoryStores() })).resolves.toBeTruthy()
  })
})

/** GET over a real socket with a Host header of our choosing (as a rebound DNS name sends it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host, accept: 'text/html' } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('development outbox', () => {
  it('answers only to our own host name and loopback names, never to a rebound foreign name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-outbox-'))
    const config = loadServerConfig(
      {
        GATEHOUSE_MODE: 'development',
        GATEHOUSE_DATA_DIR: dir,
        PORT: '0',
        PUBLIC_URL: 'http://auth.test:8000',
      },
      { auth: { password: { memoryCost: 8192, timeCost: 1 } } },
    )
    const running = await startServer(config, () => {})
    try {
      const port = new URL(running.url).port
      const outbox = `${running.url}/dev/outbox`
      expect(await getWithHost(outbox, `localhost:${port}`)).toBe(200)
      expect(await getWithHost(outbox, `127.0.0.1:${port}`)).toBe(200)
      expect(await getWithHost(outbox, `[::1]:${port}`)).toBe(200)
      expect(await getWithHost(outbox, 'auth.test:8000')).toBe(200)
      expect(await getWithHost(outbox, `evil.example:${port}`)).toBe(404)
      expect(await getWithHost(outbox, 'localhost.evil.example')).toBe(404)
    } finally {
      await running.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
