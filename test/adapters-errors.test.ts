/** The adapters' error handlers answer unexpected errors with a generic 500 and log them with the stack. */
import express from 'express'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import * as ex from '../src/adapters/express.ts'
import * as ho from '../src/adapters/hono.ts'
import { createAuth } from '../src/core/auth.ts'
import { AuthError } from '../src/core/errors.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { sendViaExpress, sendViaHono } from './helpers/apps.ts'

async function setup() {
  const lines: string[] = []
  const auth = await createAuth({
    mode: 'test',
    stores: createMemoryStores(),
    logger: { warn: (m) => lines.push(m), error: (m) => lines.push(m) },
  })
  return { auth, lines }
}

function bug(): never {
  throw new Error('database said: secret-detail-42')
}

const apps = {
  hono: async () => {
    const { auth, lines } = await setup()
    const app = new Hono()
    app.onError(ho.authErrorHandler)
    app.use(ho.gatehouse(auth))
    app.get('/bug', () => bug())
    app.get('/denied', () => {
      throw new AuthError('FORBIDDEN')
    })
    return { send: sendViaHono(app), lines }
  },
  express: async () => {
    const { auth, lines } = await setup()
    const app = express()
    app.use(ex.gatehouse(auth))
    app.get('/bug', () => bug())
    app.get('/denied', () => {
      throw new AuthError('FORBIDDEN')
    })
    app.use(ex.authErrorHandler())
    return { send: sendViaExpress(app), lines }
  },
}

for (const [name, make] of Object.entries(apps)) {
  describe(`${name} adapter error handler`, () => {
    it('answers a plain Error with a generic 500 JSON and logs it once with its stack', async () => {
      const { send, lines } = await make()
      const res = await send(new Request('http://localhost:8000/bug?token=do-not-log'))
      expect(res.status).toBe(500)
      const body = await res.text()
      expect(JSON.parse(body)).toEqual({ error: { code: 'INTERNAL', message: 'Something went wrong.' } })
      expect(body).not.toContain('secret-detail-42')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain('GET /bug')
      expect(lines[0]).toContain('Error: database said: secret-detail-42')
      // One line: the stack is there, its newlines escaped (log-escape.ts).
      expect(lines[0]).toMatch(/\\n\s+at bug /)
      expect(lines[0]).not.toContain('do-not-log')
    })

    it('does not log an AuthError, which is an answer, not a bug', async () => {
      const { send, lines } = await make()
      const res = await send(new Request('http://localhost:8000/denied'))
      expect(res.status).toBe(403)
      expect((await res.json()).error.code).toBe('FORBIDDEN')
      expect(lines).toEqual([])
    })
  })
}

describe('a logger handed to authErrorHandler directly', () => {
  it('gets escaped lines too: a path cannot forge a second log line (Hono and Express)', async () => {
    for (const framework of ['hono', 'express'] as const) {
      const { auth } = await setup()
      const lines: string[] = []
      const raw = { warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) }
      let send: (r: Request) => Promise<Response>
      if (framework === 'hono') {
        const app = new Hono()
        app.onError(ho.authErrorHandler({ logger: raw }))
        app.use(ho.gatehouse(auth))
        app.get('/a/:x', () => bug())
        send = sendViaHono(app)
      } else {
        const app = express()
        app.use(ex.gatehouse(auth))
        app.get('/a/:x', () => bug())
        app.use(ex.authErrorHandler({ logger: raw }))
        send = sendViaExpress(app)
      }
      const res = await send(new Request('http://localhost:8000/a/x%0A[gatehouse]%20login%20ok%20admin'))
      expect(res.status).toBe(500)
      expect(lines, framework).toHaveLength(1)
      expect(lines[0]!.split('\n'), framework).toHaveLength(1)
    }
  })
})
