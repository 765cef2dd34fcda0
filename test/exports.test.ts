/**
 * The package's entry points, imported by the package's own name (as an app that depends on
 * `gatehouse` imports them; package.json "exports" maps each to its file). Every name
 * README.md documents is importable, and nothing else is exported at runtime: an accidental
 * export fails here. A new public name needs its README line and its place in EXPORTS.
 */
import { readFileSync } from 'node:fs'
import type { AuthOptions, Stores, User } from 'gatehouse-auth'
import * as core from 'gatehouse-auth'
import * as client from 'gatehouse-auth/client'
import * as crypto from 'gatehouse-auth/crypto'
import * as express from 'gatehouse-auth/express'
import * as hono from 'gatehouse-auth/hono'
import * as contracts from 'gatehouse-auth/stores/contracts'
import * as memory from 'gatehouse-auth/stores/memory'
import * as redis from 'gatehouse-auth/stores/redis'
import * as sql from 'gatehouse-auth/stores/sql'
import { describe, expect, it } from 'vitest'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, Record<string, string>>
}

/** Every runtime export of every entry point: exactly these, no more. */
const EXPORTS: Record<string, { module: Record<string, unknown>; names: string[] }> = {
  'gatehouse-auth': {
    module: core,
    names: [
      'AccountRecovery',
      'AuthError',
      'DeviceUnlock',
      'ERROR_TABLE',
      'ThrottledError',
      'auth0Provider',
      'azureProvider',
      'can',
      'createAccessTokenVerifier',
      'createAuth',
      'customProvider',
      'errorResponse',
      'escapingLogger',
      'githubProvider',
      'googleProvider',
      'hasAnyRole',
      'hasRole',
      'oauth',
      'oidcProvider',
      'signIn',
      'toPublicUser',
      'verifyAccessToken',
    ],
  },
  'gatehouse-auth/hono': {
    module: hono,
    names: [
      'authErrorHandler',
      'csrfProtect',
      'csrfToken',
      'freshTokenRequired',
      'gatehouse',
      'gatehouseRoutes',
      'jsonBody',
      'login',
      'loginGate',
      'loginRequired',
      'logout',
      'permissionRequired',
      'roleRequired',
      'tokenRequired',
      'tokenRoleRequired',
    ],
  },
  'gatehouse-auth/express': {
    module: express,
    names: [
      'authErrorHandler',
      'csrfProtect',
      'csrfToken',
      'freshTokenRequired',
      'gatehouse',
      'gatehouseRouter',
      'login',
      'loginGate',
      'loginRequired',
      'logout',
      'permissionRequired',
      'roleRequired',
      'tokenRequired',
      'tokenRoleRequired',
    ],
  },
  'gatehouse-auth/stores/memory': { module: memory, names: ['createMemoryStores'] },
  'gatehouse-auth/stores/sql': { module: sql, names: ['createSqlStores'] },
  'gatehouse-auth/stores/redis': { module: redis, names: ['composeStores', 'createRedisStores'] },
  'gatehouse-auth/crypto': {
    module: crypto,
    names: [
      'Fernet',
      'InvalidToken',
      'MultiFernet',
      'decrypt',
      'decryptFletAesGcm',
      'encrypt',
      'sign',
      'verify',
      'verifyItsdangerous',
    ],
  },
  'gatehouse-auth/stores/contracts': { module: contracts, names: [] },
  'gatehouse-auth/client': {
    module: client,
    names: ['GatehouseClient', 'GatehouseClientError', 'challengeOf', 'createClient', 'createVerifier'],
  },
}

/** `import { a, type B, c } from 'gatehouse…'` statements in README.md's code blocks. */
function readmeImports(): { from: string; name: string }[] {
  const found: { from: string; name: string }[] = []
  for (const m of readme.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(gatehouse-auth[^']*)'/g)) {
    for (const part of m[1]!.split(',')) {
      const name = part.trim()
      if (name && !name.startsWith('type ')) found.push({ from: m[2]!, name })
    }
  }
  return found
}

describe('package entry points', () => {
  it('package.json maps exactly the entry points tested here', () => {
    expect(
      Object.keys(pkg.exports).map((k) => (k === '.' ? 'gatehouse-auth' : `gatehouse-auth/${k.slice(2)}`)),
    ).toEqual(expect.arrayContaining(Object.keys(EXPORTS)))
    expect(Object.keys(pkg.exports)).toHaveLength(Object.keys(EXPORTS).length)
  })

  describe.each(Object.entries(EXPORTS))('%s', (_entry, { module, names }) => {
    it('exports exactly the documented runtime names', () => {
      expect(Object.keys(module).sort()).toEqual([...names].sort())
    })

    it.runIf(names.length > 0)('each is defined and named in README.md', () => {
      for (const name of names) {
        expect(module[name], name).toBeDefined()
        expect(['function', 'object'], name).toContain(typeof module[name])
        expect(readme, name).toMatch(new RegExp(`\\b${name}\\b`))
      }
    })
  })

  it('every name README.md imports in its examples is exported by that entry point', () => {
    const imports = readmeImports()
    // The examples import from the core, both adapters and the SQL stores, all entry points.
    expect(imports.length).toBeGreaterThan(20)
    expect(imports.filter((i) => !(i.from in EXPORTS))).toEqual([])
    const missing = imports.filter(({ from, name }) => EXPORTS[from]?.module[name] === undefined)
    expect(missing).toEqual([])
  })

  it('the documented values are the working ones', async () => {
    // errorResponse renders the contract's JSON error with the code's status.
    const res = core.errorResponse(new core.AuthError('INVALID_CREDENTIALS'))
    expect(res.status).toBe(core.ERROR_TABLE.INVALID_CREDENTIALS[0])
    expect((await res.json()).error.code).toBe('INVALID_CREDENTIALS')
    expect(new core.ThrottledError('account', 60)).toBeInstanceOf(core.AuthError)
    // The store factories build stores through the public names alone.
    const stores: Stores = memory.createMemoryStores()
    const options: AuthOptions = { stores, mode: 'test', secret: 'x'.repeat(32) }
    const auth = await core.createAuth(options)
    const user: User = await auth.signUp(
      { email: 'ada@example.com', username: 'ada', password: 'correct horse battery staple' },
      { ip: '127.0.0.1' },
    )
    expect(core.toPublicUser(user)).not.toHaveProperty('passwordHash')
    expect(core.hasRole(user, 'user')).toBe(true)
    await auth.close()
  })
})
