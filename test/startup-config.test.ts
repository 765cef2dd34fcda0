/**
 * Configuration errors named at start (issue 13): a REDIS_URL or DATABASE_URL of an
 * unsupported scheme, a PostgreSQL URL without a user (libpq's rules: PGUSER, then the OS
 * user; the error names the user tried), a SQLite folder that does not exist (only the
 * default data directory is created) — and PostgreSQL's connect and statement timeouts.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer as createTcpServer, type Socket } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import type { AuthError } from '../src/core/errors.ts'
import { createServer } from '../src/server/app.ts'
import { loadServerConfig } from '../src/server/config.ts'
import { StoreConfigError } from '../src/stores/errors.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { createRedisStores } from '../src/stores/redis/index.ts'
import { postgresUser } from '../src/stores/sql/connect.ts'
import { createSqlStores } from '../src/stores/sql/index.ts'
import { probePostgres, requireService } from './helpers/services.ts'
import { PG_URL } from './helpers/stores.ts'

const pgUp = await requireService('PostgreSQL', probePostgres(PG_URL))
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-startup-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function configError(env: Record<string, string>): AuthError {
  try {
    loadServerConfig(env)
  } catch (error) {
    return error as AuthError
  }
  throw new Error('loadServerConfig accepted the configuration')
}

describe('loadServerConfig names a store URL of an unsupported scheme', () => {
  it('REDIS_URL that is not redis:// or rediss://', () => {
    for (const value of ['garbage', 'http://127.0.0.1:6379', 'localhost:6379']) {
      const e = configError({ REDIS_URL: value })
      expect(e.code).toBe('CONFIG_INVALID')
      expect(e.message).toMatch(/REDIS_URL/)
    }
    expect(loadServerConfig({ REDIS_URL: 'rediss://:pw@cache.internal:6380/2' }).redisUrl).toBe(
      'rediss://:pw@cache.internal:6380/2',
    )
  })

  it('DATABASE_URL that is not sqlite:, postgres:// or postgresql://', () => {
    for (const value of ['mysql://root@127.0.0.1/db', 'data/gatehouse.db', 'postgres:/x']) {
      const e = configError({ DATABASE_URL: value })
      expect(e.code).toBe('CONFIG_INVALID')
      expect(e.message).toMatch(/DATABASE_URL/)
    }
  })

  it('the stores themselves refuse them too (library use), naming the variable', async () => {
    expect(() =>
      createRedisStores({ url: 'garbage', prefix: 'x:', users: createMemoryStores().users }),
    ).toThrow(StoreConfigError)
    await expect(createSqlStores({ url: 'mysql://root@127.0.0.1/db' })).rejects.toMatchObject({
      name: 'StoreConfigError',
      setting: 'DATABASE_URL',
    })
  })
})

describe('SQLite folders', () => {
  it('a database in a folder that does not exist is an error naming the folder, and nothing is created', async () => {
    const missing = join(dir, 'no', 'such', 'dir')
    await expect(createSqlStores({ url: `sqlite:${join(missing, 'x.db')}` })).rejects.toThrow(missing)
    expect(existsSync(join(dir, 'no'))).toBe(false)
  })

  it('createServer answers CONFIG_INVALID for DATABASE_URL in a missing folder, but creates the default data directory', async () => {
    const missing = join(dir, 'absent')
    const quiet = { logger: { warn: () => {} }, mailer: { description: 'none', send: async () => {} } }
    await expect(
      createServer(
        loadServerConfig({ GATEHOUSE_MODE: 'test', DATABASE_URL: `sqlite:${join(missing, 'x.db')}` }),
        quiet,
      ),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(missing) })
    expect(existsSync(missing)).toBe(false)

    const dataDir = join(dir, 'fresh-data-dir')
    const server = await createServer(
      loadServerConfig({ GATEHOUSE_MODE: 'test', GATEHOUSE_DATA_DIR: dataDir }),
      quiet,
    )
    try {
      expect(existsSync(join(dataDir, 'gatehouse.db'))).toBe(true)
    } finally {
      await server.close()
    }
  })
})

describe('the CLI names the setting and exits 78', { timeout: 120_000 }, () => {
  function serve(env: Record<string, string>) {
    const r = spawnSync(process.execPath, ['bin/gatehouse.js', 'serve', '--port', '0'], {
      env: { ...process.env, GATEHOUSE_CONFIG: '', NODE_ENV: '', GATEHOUSE_MODE: 'development', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    })
    return { code: r.status, err: r.stderr }
  }

  it('REDIS_URL=garbage', () => {
    const r = serve({ GATEHOUSE_DATA_DIR: join(dir, 'cli'), REDIS_URL: 'garbage' })
    expect(r.code).toBe(78)
    expect(r.err).toMatch(/REDIS_URL/)
  })

  it('DATABASE_URL=sqlite:/nonexistent/dir/x.db', () => {
    const r = serve({ GATEHOUSE_DATA_DIR: join(dir, 'cli'), DATABASE_URL: 'sqlite:/nonexistent/dir/x.db' })
    expect(r.code).toBe(78)
    expect(r.err).toMatch(/DATABASE_URL/)
    expect(r.err).toMatch(/\/nonexistent\/dir /)
    expect(existsSync('/nonexistent')).toBe(false)
  })
})

describe('PostgreSQL user by libpq rules', () => {
  it('the URL, then PGUSER, then the operating-system user', () => {
    expect(postgresUser('postgres://alice@db/x', { PGUSER: 'bob' })).toEqual({
      user: 'alice',
      from: 'the URL',
    })
    expect(postgresUser('postgres://db/x?user=carol', { PGUSER: 'bob' })).toEqual({
      user: 'carol',
      from: 'the URL',
    })
    expect(postgresUser('postgres://db/x', { PGUSER: 'bob' })).toEqual({ user: 'bob', from: 'PGUSER' })
    expect(postgresUser('postgres://db/x', {})).toEqual({
      user: userInfo().username,
      from: 'the operating-system user',
    })
  })

  it.skipIf(!pgUp)(
    'a URL without a user connects as PGUSER; a user that fails is named in the error',
    async () => {
      const host = new URL(PG_URL)
      const noUser = `postgres://${host.host}${host.pathname}`
      const saved = process.env.PGUSER
      try {
        process.env.PGUSER = decodeURIComponent(host.username) || 'postgres'
        const stores = await createSqlStores({ url: noUser, migrate: false, poolSize: 1 })
        const { rows } = await sql<{ u: string }>`select current_user as u`.execute(stores.db)
        expect(rows[0]!.u).toBe(process.env.PGUSER)
        await stores.close()

        process.env.PGUSER = 'gh_no_such_role'
        const error = await createSqlStores({ url: noUser, migrate: false, poolSize: 1 }).catch(
          (e: Error) => e,
        )
        expect(error).toBeInstanceOf(Error)
        expect((error as Error).message).toMatch(/user "gh_no_such_role" \(from PGUSER\)/)
        expect((error as Error).message).not.toMatch(/no PostgreSQL user name specified/)
      } finally {
        if (saved === undefined) delete process.env.PGUSER
        else process.env.PGUSER = saved
      }
    },
  )
})

describe('PostgreSQL timeouts', () => {
  it('a server that accepts and never answers fails the connection within the connect timeout', async () => {
    const sockets = new Set<Socket>()
    const silent = createTcpServer((s) => sockets.add(s))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as { port: number }
    try {
      const start = performance.now()
      await expect(
        createSqlStores({ url: `postgres://postgres@127.0.0.1:${port}/test`, poolSize: 1 }),
      ).rejects.toThrow(/as user "postgres"/)
      const ms = performance.now() - start
      expect(ms).toBeGreaterThan(1500) // it did wait for the (default 2 s) timeout…
      expect(ms).toBeLessThan(4000) // …and no longer
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  it.skipIf(!pgUp)('a statement running past queryTimeoutMs fails', async () => {
    const stores = await createSqlStores({ url: PG_URL, migrate: false, poolSize: 1, queryTimeoutMs: 300 })
    try {
      const start = performance.now()
      await expect(sql`select pg_sleep(5)`.execute(stores.db)).rejects.toThrow()
      expect(performance.now() - start).toBeLessThan(2500)
      // The pool still serves afterwards.
      expect((await sql<{ one: number }>`select 1 as one`.execute(stores.db)).rows[0]!.one).toBe(1)
    } finally {
      await stores.close()
    }
  })
})
