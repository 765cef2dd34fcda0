/**
 * The CLI on the server's own stores: with REDIS_URL, an operator's `user deactivate` ends
 * the sessions and tokens the server reads from Redis, and a later `user activate` brings
 * none of them back.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { createServer } from '../src/server/app.ts'
import { loadServerConfig } from '../src/server/config.ts'
import { Client } from './helpers/client.ts'
import { probeRedis, requireService } from './helpers/services.ts'
import { REDIS_URL } from './helpers/stores.ts'

// Each CLI call starts a process that loads TypeScript through tsx: seconds each on a loaded machine.
const CLI_TIMEOUT = { timeout: 120_000 }

const reachable = await requireService('Redis', probeRedis(REDIS_URL))
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-redis-'))
const prefix = `gh-test:cli-${randomBytes(4).toString('hex')}:`
const env = {
  GATEHOUSE_DATA_DIR: dir,
  DATABASE_URL: `sqlite:${join(dir, 'cli.db')}`,
  REDIS_URL,
  GATEHOUSE_REDIS_PREFIX: prefix,
  GATEHOUSE_SECRET: 'cli-redis-test-secret-0123456789abcdef',
  GATEHOUSE_MODE: 'development',
  PUBLIC_URL: 'http://localhost:8000',
}

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  if (!reachable) return
  const redis = new Redis(REDIS_URL)
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(...keys)
  redis.disconnect()
})

function gatehouse(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/gatehouse.js', ...args], {
    env: { ...process.env, ...env, GATEHOUSE_CONFIG: '', NODE_ENV: 'development' },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

describe.skipIf(!reachable)('CLI with REDIS_URL', CLI_TIMEOUT, () => {
  it('user deactivate ends every session and token the server issued; user activate revives none', async () => {
    const server = await createServer(
      loadServerConfig(env, {
        // No in-process cache: the question is what the stores say.
        auth: { session: { cacheTtlMs: 0 }, password: { memoryCost: 8192, timeCost: 1 } },
      }),
      { mailer: { description: 'none', send: async () => {} }, logger: { warn: () => {} } },
    )
    try {
      const browser = new Client(async (r) => server.app.request(r))
      const password = 'correct horse battery staple'
      const signup = await browser.post('/api/auth/signup', {
        email: 'ada@example.com',
        username: 'ada',
        password,
      })
      expect(signup.status).toBe(201)
      const api = new Client(async (r) => server.app.request(r))
      const login = await api.post('/api/auth/login', { login: 'ada', password })
      const pair = (await login.json()) as { access_token: string; refresh_token: string }
      const bearer = { authorization: `Bearer ${pair.access_token}` }
      expect((await browser.get('/api/me')).status).toBe(200)
      expect((await api.get('/api/me', bearer)).status).toBe(200)

      expect(gatehouse(['user', 'deactivate', 'ada'])).toMatchObject({ code: 0 })
      expect(gatehouse(['user', 'activate', 'ada'])).toMatchObject({ code: 0 })

      expect((await browser.get('/api/me')).status).toBe(401)
      expect((await new Client(async (r) => server.app.request(r)).get('/api/me', bearer)).status).toBe(401)
      const refresh = await api.post('/api/auth/refresh', { refresh_token: pair.refresh_token })
      expect(refresh.status).toBe(401)
      // The account itself works again with its password.
      expect((await api.post('/api/auth/login', { login: 'ada', password })).status).toBe(200)
    } finally {
      await server.close()
    }
  })
})
