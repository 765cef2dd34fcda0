/** Hono and Express are two translations of one core: same names, same shapes. */
import { readFileSync } from 'node:fs'
import express from 'express'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import * as ex from '../src/adapters/express.ts'
import * as ho from '../src/adapters/hono.ts'
import { createAuth } from '../src/core/auth.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { sendViaExpress, sendViaHono } from './helpers/apps.ts'

/**
 * The only names one adapter has and the other has not, each for a framework reason:
 * - jsonBody (Hono): Express apps parse bodies with express.json().
 * - sendResponse (Express): writes a Web Response; Hono handlers return one as is.
 * - HonoAdapterOptions / ExpressAdapterOptions: each names its framework's request type.
 * - GatehouseRequestFields (Express): the fields added to `req`; Hono declares them on c.var.
 */
const ONLY_HONO = ['HonoAdapterOptions', 'jsonBody']
const ONLY_EXPRESS = ['ExpressAdapterOptions', 'GatehouseRequestFields', 'sendResponse']

/** Every exported name in a module's source, types included (they vanish at run time). */
function declaredExports(path: string): string[] {
  const source = readFileSync(new URL(path, import.meta.url), 'utf8')
  const names = [
    ...source.matchAll(/^export (?:async )?(?:function|const|class|interface|type) (\w+)/gm),
  ].map((m) => m[1] as string)
  for (const m of source.matchAll(/^export (?:type )?\{([^}]+)\}/gm))
    names.push(...(m[1] as string).split(',').map((n) => n.replace(/^\s*type\s+/, '').trim()))
  return [...new Set(names)].sort()
}

const without = (names: string[], drop: string[]) => names.filter((n) => !drop.includes(n)).sort()

describe('adapter parity', () => {
  it('Hono and Express export the same run-time names, apart from the documented ones', () => {
    expect(without(Object.keys(ho), ONLY_HONO)).toEqual(without(Object.keys(ex), ONLY_EXPRESS))
  })

  it('Hono and Express export the same names with types, apart from the documented ones', () => {
    const hono = declaredExports('../src/adapters/hono.ts')
    const expr = declaredExports('../src/adapters/express.ts')
    expect(hono).toEqual(expect.arrayContaining(ONLY_HONO))
    expect(expr).toEqual(expect.arrayContaining(ONLY_EXPRESS))
    expect(without(hono, ONLY_HONO)).toEqual(without(expr, ONLY_EXPRESS))
  })

  it('authErrorHandler is a factory taking { logger } in both', async () => {
    const lines: string[] = []
    const logger = { warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) }
    const auth = await createAuth({ mode: 'test', stores: createMemoryStores() })
    const fail = () => {
      throw new Error('boom')
    }

    const honoApp = new Hono()
    honoApp.onError(ho.authErrorHandler({ logger }))
    honoApp.use(ho.gatehouse(auth))
    honoApp.get('/bug', fail)

    const expressApp = express()
    expressApp.use(ex.gatehouse(auth))
    expressApp.get('/bug', fail)
    expressApp.use(ex.authErrorHandler({ logger }))

    for (const send of [sendViaHono(honoApp), sendViaExpress(expressApp)]) {
      const res = await send(new Request('http://localhost:8000/bug'))
      expect(res.status).toBe(500)
      expect((await res.json()).error.code).toBe('INTERNAL')
    }
    expect(lines).toHaveLength(2)
    expect(lines.every((line) => line.includes('GET /bug'))).toBe(true)
    await auth.close()
  })
})
