/** Each default is declared once: createAuth's options and createTokenService read the same table. */
import { describe, expect, it } from 'vitest'
import { AuthError } from '../src/core/errors.ts'
import { DEFAULT_TOKEN_ALG, parseOptions, TOKEN_LIMITS } from '../src/core/options.ts'
import { resolveTokenOptions } from '../src/core/tokens/options.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'

const stores = createMemoryStores()
const service = {
  kv: stores.kv,
  signingKeys: stores.signingKeys,
  secret: 'x'.repeat(32),
  issuer: 'https://auth.example.com',
  audience: 'https://auth.example.com',
}
/** The numbers createAuth's `tokens` section has (the others belong to the token service alone). */
const SHARED = ['accessTtl', 'refreshTtl', 'leeway', 'clockSkew', 'refreshGrace'] as const

describe('token defaults in one place', () => {
  it('createAuth and createTokenService apply the same defaults', () => {
    const auth = parseOptions({ stores }).tokens
    const alone = resolveTokenOptions(service)
    for (const name of SHARED) {
      expect([name, auth[name]]).toEqual([name, TOKEN_LIMITS[name].default])
      expect([name, alone[name]]).toEqual([name, TOKEN_LIMITS[name].default])
    }
    expect([auth.alg, alone.alg]).toEqual([DEFAULT_TOKEN_ALG, DEFAULT_TOKEN_ALG])
    expect(alone.keyCacheMs).toBe(TOKEN_LIMITS.keyCacheMs.default)
    expect(alone.verifyCacheSize).toBe(TOKEN_LIMITS.verifyCacheSize.default)
  })

  it('the defaults are the documented values', () => {
    expect(parseOptions({ stores }).tokens).toMatchObject({
      accessTtl: 900,
      refreshTtl: 2_592_000,
      leeway: 0,
      clockSkew: 5,
      refreshGrace: 0,
      alg: 'EdDSA',
    })
    expect(resolveTokenOptions(service)).toMatchObject({ keyCacheMs: 60_000, verifyCacheSize: 10_000 })
  })

  it.each(SHARED)('both accept exactly the same range of %s', (name) => {
    const { min, max } = TOKEN_LIMITS[name]
    for (const ok of [min, max]) {
      expect(parseOptions({ stores, tokens: { [name]: ok } }).tokens[name]).toBe(ok)
      expect(resolveTokenOptions({ ...service, [name]: ok })[name]).toBe(ok)
    }
    for (const bad of [min - 1, max + 1, min + 0.5]) {
      expect(() => parseOptions({ stores, tokens: { [name]: bad } })).toThrow(AuthError)
      expect(() => resolveTokenOptions({ ...service, [name]: bad })).toThrow(AuthError)
    }
  })
})
