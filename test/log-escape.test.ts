/**
 * Request data reaches log lines (paths, mail addresses and subjects). Control characters
 * are escaped in every line, so a client cannot forge a log line with %0A.
 */
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { escapeLogLine, escapingLogger } from '../src/core/log-escape.ts'
import { resolveOptions } from '../src/core/resolve.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { createSqlStores } from '../src/stores/sql/index.ts'
import { Client } from './helpers/client.ts'
import { createTestServer } from './helpers/server.ts'

const PASSWORD = 'correct horse battery staple'

function capture() {
  const lines: string[] = []
  return {
    lines,
    logger: { warn: (m: string) => void lines.push(m), info: (m: string) => void lines.push(m) },
  }
}

describe('escapeLogLine', () => {
  it('escapes CR, LF, TAB, other C0 and C1 controls, DEL, U+2028/2029 and the backslash itself', () => {
    expect(escapeLogLine('a\r\nb\tc')).toBe('a\\r\\nb\\tc')
    expect(escapeLogLine('\u0000\u001b[31m\u007f\u0085\u009b')).toBe(
      '\\u0000\\u001b[31m\\u007f\\u0085\\u009b',
    )
    expect(escapeLogLine('x\u2028y\u2029z')).toBe('x\\u2028y\\u2029z')
    // A literal backslash-n sent by a client cannot pass for an escaped newline.
    expect(escapeLogLine('C:\\new')).toBe('C:\\\\new')
    expect(escapeLogLine('plain text, ünïcödé and emoji 🙂')).toBe('plain text, ünïcödé and emoji 🙂')
  })

  it('a logger wrapped twice escapes once', () => {
    const { lines, logger } = capture()
    escapingLogger(escapingLogger(logger)).warn('a\nb')
    expect(lines).toEqual(['a\\nb'])
  })
})

describe('log lines of the server and the core', () => {
  it('a request to a path containing %0A that errors produces a single log line with the escaped sequence', async () => {
    const { lines, logger } = capture()
    const stores = await createSqlStores({ url: 'sqlite::memory:' })
    const s = await createTestServer({ stores, logger })
    try {
      const admin = new Client(s.send)
      const res = await admin.post('/api/auth/signup', {
        email: 'root@example.com',
        username: 'root_admin',
        password: PASSWORD,
      })
      await s.services.auth.setRoles((await res.json()).user.id, ['user', 'admin'], null)
      // Validated once, the admin's session is served from the session cache from here on.
      const page = await (await admin.get('/admin', { accept: 'text/html' })).text()
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(page)![1]!
      // The user lookup of the route fails (a 503, which the server logs with method and path).
      await sql`alter table users rename to users_gone`.execute(stores.db)
      lines.length = 0
      const forged = await admin.request(
        'POST',
        '/admin/users/x%0A[gatehouse]%20admin%20logged%20in%0D/toggle-active',
        {
          body: new URLSearchParams({ csrf_token: csrf }).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
      )
      expect(forged.status).toBe(503)
      expect(lines).toHaveLength(1)
      const [line] = lines as [string]
      expect(line).toContain('POST /admin/users/x\\n[gatehouse] admin logged in\\r/toggle-active failed')
      expect(line).not.toMatch(/[\r\n\u2028\u2029]/)
    } finally {
      await s.close()
    }
  })

  it('the development outbox logs each mail as one escaped line', async () => {
    const { lines, logger } = capture()
    const s = await createTestServer({ logger, noMailer: true, stores: createMemoryStores() })
    try {
      await new Client(s.send).post('/api/auth/signup', {
        email: 'mailer@example.com',
        username: 'mailer',
        password: PASSWORD,
      })
      const outbox = lines.filter((l) => l.startsWith('[outbox]'))
      expect(outbox.length).toBeGreaterThan(0)
      for (const line of outbox) {
        expect(line).not.toMatch(/[\r\n]/)
        expect(line).toContain('To: mailer@example.com\\nSubject: ')
      }
    } finally {
      await s.close()
    }
  })

  it('the core escapes the lines of a logger passed in its options', () => {
    const { lines, logger } = capture()
    const resolved = resolveOptions({ stores: createMemoryStores(), mode: 'test', logger })
    resolved.logger.warn('one\ntwo')
    resolved.logger.info?.('three\rfour')
    expect(lines).toEqual(['one\\ntwo', 'three\\rfour'])
  })
})
