/**
 * The module contract, through a test-only sign-in method (test/modules/magic-number.ts)
 * registered only in the options: its route, error code, audit type and migration work, and
 * it signs users in through the pipeline, so the email-verification gate applies to it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createAuth } from '../src/core/auth.ts'
import { fakeClock } from '../src/core/clock.ts'
import type { AuthModule } from '../src/core/module.ts'
import { createServer, type GatehouseServer } from '../src/server/app.ts'
import { loadServerConfig } from '../src/server/config.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { createSqlStores } from '../src/stores/sql/index.ts'
import { Client } from './helpers/client.ts'
import { magicNumber } from './modules/magic-number.ts'

const PASSWORD = 'correct horse battery staple'
const open: { server: GatehouseServer; dir: string }[] = []
afterEach(async () => {
  for (const { server, dir } of open.splice(0)) {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

async function serverWithMagic(emailVerification: 'optional' | 'required' = 'optional') {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-module-'))
  const clock = fakeClock()
  const stores = await createSqlStores({ url: `sqlite:${join(dir, 'db.sqlite')}`, clock })
  const config = loadServerConfig(
    {},
    {
      mode: 'test',
      secret: 'module-test-secret-0123456789abcdefghij',
      emailVerification,
      auth: { password: { memoryCost: 8192, timeCost: 1 }, modules: [magicNumber({ db: stores.db })] },
    },
  )
  const server = await createServer(config, {
    stores,
    clock,
    mailer: { description: 'none', send: async () => {} },
    logger: { warn: () => {} },
  })
  open.push({ server, dir })
  return { server, stores, send: async (r: Request) => server.app.request(r) }
}

async function withNumber(s: Awaited<ReturnType<typeof serverWithMagic>>, username: string) {
  const user = await s.server.services.auth.signUp({
    email: `${username}@example.com`,
    username,
    password: PASSWORD,
  })
  const browser = new Client(s.send)
  const pair = (await (
    await browser.post('/api/auth/login', { login: username, password: PASSWORD })
  ).json()) as {
    access_token: string
  }
  const setup = await browser.post(
    '/api/auth/magic/setup',
    { number: '424242' },
    { authorization: `Bearer ${pair.access_token}` },
  )
  expect(setup.status).toBe(204)
  return user
}

describe('a sign-in method as a module', () => {
  it('contributes a route, a migration, an error code and an audit type, and signs in through the pipeline', async () => {
    const s = await serverWithMagic()
    // The migration ran, in the module's own bookkeeping table.
    const tables = await s.stores.db.introspection.getTables()
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['magic_numbers', 'gatehouse_migrations_magic_number']),
    )
    const user = await withNumber(s, 'ada')

    const wrong = await new Client(s.send).post('/api/auth/magic', { login: 'ada', number: '111111' })
    expect(wrong.status).toBe(401)
    expect((await wrong.json()).error).toEqual({
      code: 'MAGIC_NUMBER_WRONG',
      message: 'That is not the number.',
    })

    const ok = await new Client(s.send).post('/api/auth/magic', { login: 'ada', number: '424242' })
    expect(ok.status).toBe(200)
    const { access_token } = (await ok.json()) as { access_token: string }
    const me = await new Client(s.send).get('/api/me', { authorization: `Bearer ${access_token}` })
    expect((await me.json()).user.username).toBe('ada')
    // The pipeline recorded the login; the module its own audit event.
    const { events } = await s.server.services.auth.stores.audit.listAudit({
      userId: user.id,
      offset: 0,
      limit: 50,
    })
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['magic.login', 'login.success']))
    expect((await s.server.services.auth.stores.users.getUserById(user.id))!.lastLoginAt).not.toBeNull()
  })

  it('the email-verification gate applies to the module’s sign-ins', async () => {
    const s = await serverWithMagic('required')
    const auth = s.server.services.auth
    const user = await auth.signUp({ email: 'bob@example.com', username: 'bob', password: PASSWORD })
    await auth.updateUser(user.id, { emailVerified: true })
    const browser = new Client(s.send)
    const pair = (await (
      await browser.post('/api/auth/login', { login: 'bob', password: PASSWORD })
    ).json()) as {
      access_token: string
    }
    await browser.post(
      '/api/auth/magic/setup',
      { number: '5555' },
      { authorization: `Bearer ${pair.access_token}` },
    )
    await auth.updateUser(user.id, { emailVerified: false })
    const refused = await new Client(s.send).post('/api/auth/magic', { login: 'bob', number: '5555' })
    expect(refused.status).toBe(403)
    expect((await refused.json()).error.code).toBe('EMAIL_NOT_VERIFIED')
    await auth.updateUser(user.id, { emailVerified: true })
    expect((await new Client(s.send).post('/api/auth/magic', { login: 'bob', number: '5555' })).status).toBe(
      200,
    )
  })
})

describe('module collisions fail at start, naming both', () => {
  const base = { id: 'a-module' } satisfies AuthModule
  const make = (modules: AuthModule[]) => createAuth({ mode: 'test', stores: createMemoryStores(), modules })

  it('an error code of the core or of another module', async () => {
    await expect(make([{ ...base, errors: { NOT_FOUND: [404, 'x'] } }])).rejects.toThrow(
      /NOT_FOUND.*"a-module".*the core|the core.*"a-module"/,
    )
    await expect(
      make([
        { ...base, errors: { SAME_CODE: [400, 'x'] } },
        { id: 'b-module', errors: { SAME_CODE: [400, 'y'] } },
      ]),
    ).rejects.toThrow(/SAME_CODE.*"a-module".*"b-module"|SAME_CODE.*"b-module".*"a-module"/)
  })

  it('a key-value prefix, an audit type, a token purpose, a route or a module id', async () => {
    await expect(make([{ ...base, kvPrefix: 'ott:x' }])).rejects.toThrow(/prefix "ott:x".*the core/)
    await expect(
      make([
        { ...base, kvPrefix: 'mine:' },
        { id: 'b-module', kvPrefix: 'mine:sub:' },
      ]),
    ).rejects.toThrow(/"a-module".*"b-module"/)
    await expect(make([{ ...base, auditTypes: ['login.success'] }])).rejects.toThrow(
      /Audit type "login.success".*the core/,
    )
    await expect(make([{ ...base, tokenPurposes: ['password-reset'] }])).rejects.toThrow(
      /purpose "password-reset"/,
    )
    const route = { method: 'POST', kind: 'api', path: '/x', handle: async () => new Response() } as const
    await expect(
      make([
        { ...base, routes: [route] },
        { id: 'b-module', routes: [route] },
      ]),
    ).rejects.toThrow(/Route POST/)
    await expect(make([base, { ...base }])).rejects.toThrow(/Module id "a-module"/)
    // Registering the same module again (a second createAuth in the process) is fine.
    await expect(make([{ ...base, errors: { A_MODULE_CODE: [400, 'x'] } }])).resolves.toBeTruthy()
    await expect(make([{ ...base, errors: { A_MODULE_CODE: [400, 'x'] } }])).resolves.toBeTruthy()
  })
})

describe('module routes and the server’s own', () => {
  it('a module route on a method and path the server already serves fails at start, naming both', async () => {
    const takeover: AuthModule = {
      id: 'takeover',
      routes: [{ method: 'POST', kind: 'page', path: '/login', handle: async () => new Response('mine') }],
    }
    const config = loadServerConfig(
      {},
      { mode: 'test', secret: 'module-test-secret-0123456789abcdefghij', auth: { modules: [takeover] } },
    )
    await expect(
      createServer(config, {
        stores: createMemoryStores(),
        mailer: { description: 'none', send: async () => {} },
        logger: { warn: () => {} },
      }),
    ).rejects.toThrow(/POST \/login.*server.*"takeover"/)
  })
})
