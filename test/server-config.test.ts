import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadServerConfig } from '../src/server/config.ts'
import { Client } from './helpers/client.ts'
import { createTestServer } from './helpers/server.ts'

describe('server configuration', () => {
  it('has zero-configuration defaults on the embedded SQLite file', () => {
    const c = loadServerConfig({})
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8000,
      publicUrl: 'http://localhost:8000',
      databaseUrl: 'sqlite:data/gatehouse.db',
    })
  })

  it('reads environment variables over a config file, and rejects unknown keys by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'))
    const file = join(dir, 'gatehouse.json')
    writeFileSync(
      file,
      JSON.stringify({ port: 9000, appName: 'Acme', auth: { session: { idleTimeout: 600 } } }),
    )
    const c = loadServerConfig({
      GATEHOUSE_CONFIG: file,
      PORT: '9100',
      DATABASE_URL: 'postgres://db/auth',
      GATEHOUSE_DATA_DIR: '/var/lib/gh',
    })
    expect(c).toMatchObject({
      port: 9100,
      appName: 'Acme',
      databaseUrl: 'postgres://db/auth',
      dataDir: '/var/lib/gh',
      auth: { session: { idleTimeout: 600 } },
    })
    writeFileSync(file, JSON.stringify({ prot: 1 }))
    expect(() => loadServerConfig({ GATEHOUSE_CONFIG: file })).toThrow(/"prot"/)
    expect(() => loadServerConfig({ PORT: 'eighty' })).toThrow(/"port"/)
    expect(() => loadServerConfig({ GATEHOUSE_CONFIG: join(dir, 'missing.json') })).toThrow(
      /Cannot read config file/,
    )
    expect(loadServerConfig({ NODE_ENV: 'production' }).mode).toBe('production')
  })

  it('fails closed in production without SMTP, naming the setting', async () => {
    await expect(
      createTestServer({ mode: 'production', publicUrl: 'https://auth.example.com', noMailer: true }),
    ).rejects.toThrow(/"smtpUrl"/)
  })
})

describe('email verification required', () => {
  it('sign-up does not log in; login waits for the confirmed address', async () => {
    const s = await createTestServer({ emailVerification: 'required' })
    const c = new Client(s.send)
    const res = await c.post('/api/auth/signup', {
      email: 'v@example.com',
      username: 'verify_me',
      password: 'correct horse battery',
    })
    expect(res.status).toBe(201)
    expect(res.headers.getSetCookie().some((l) => l.startsWith('gh_session='))).toBe(false)
    const refused = await c.post('/api/auth/login', { login: 'verify_me', password: 'correct horse battery' })
    expect([refused.status, (await refused.json()).error.code]).toEqual([403, 'EMAIL_NOT_VERIFIED'])
    const token = /verify-email\?token=([A-Za-z0-9_-]+)/.exec(s.mails.at(-1)!.text)![1]
    expect((await c.post('/api/auth/verify-email', { token })).status).toBe(204)
    expect((await c.post('/api/auth/verify-email', { token })).status).toBe(400)
    expect(
      (await c.post('/api/auth/login', { login: 'verify_me', password: 'correct horse battery' })).status,
    ).toBe(200)
    await s.close()
  })
})

describe('server on SQLite + Redis (REDIS_URL)', async () => {
  const { probeRedis, requireService } = await import('./helpers/services.ts')
  const { REDIS_URL } = await import('./helpers/stores.ts')
  const redisUp = await requireService('Redis', probeRedis(REDIS_URL))

  it.skipIf(!redisUp)('keeps sessions and login throttling in Redis', async () => {
    const { Redis } = await import('ioredis')
    const { createServer } = await import('../src/server/app.ts')
    const prefix = `gh-test-server:${process.pid}:${Date.now()}:`
    const config = loadServerConfig(
      {},
      {
        mode: 'test',
        secret: 'redis-server-test-secret-0123456789abcdef',
        databaseUrl: 'sqlite::memory:',
        redisUrl: REDIS_URL,
        redisPrefix: prefix,
        auth: {
          password: { memoryCost: 8192, timeCost: 1 },
          throttle: { account: { points: 3, duration: 60 } },
        },
      },
    )
    const server = await createServer(config, {
      mailer: { description: 'none', send: async () => {} },
      logger: { warn: () => {} },
    })
    const redis = new Redis(REDIS_URL)
    try {
      const c = new Client(async (r) => server.app.request(r))
      expect(
        (
          await c.post('/api/auth/signup', {
            email: 'r@example.com',
            username: 'redis_user',
            password: 'correct horse battery',
          })
        ).status,
      ).toBe(201)
      expect((await c.get('/api/me')).status).toBe(200)
      const keys = await redis.keys(`${prefix}*`)
      expect(keys.some((k) => k.includes('session'))).toBe(true)
      for (let i = 0; i < 3; i++)
        await new Client(async (r) => server.app.request(r)).post('/api/auth/login', {
          login: 'redis_user',
          password: `wrong ${i} guess`,
        })
      const limited = await new Client(async (r) => server.app.request(r)).post('/api/auth/login', {
        login: 'redis_user',
        password: 'wrong again',
      })
      expect(limited.status).toBe(429)
      expect((await redis.keys(`${prefix}throttle:*`)).length).toBeGreaterThan(0)
    } finally {
      const keys = await redis.keys(`${prefix}*`)
      if (keys.length) await redis.del(...keys)
      await redis.quit()
      await server.close()
    }
  })
})
