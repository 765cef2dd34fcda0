/**
 * docs/http-api.md and docs/security.md stay true to the code: every route the server
 * registers is documented, the hostile cases keep their numbers, the tests the cases name
 * exist, and every "docs/security.md case N" a test cites is a case of the document.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createTestServer } from './helpers/server.ts'

const root = new URL('../', import.meta.url)
const read = (path: string) => readFileSync(new URL(path, root), 'utf8')
const httpApi = read('docs/http-api.md')
const security = read('docs/security.md')

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function testFiles(dir = 'test/'): string[] {
  return readdirSync(new URL(dir, root), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(`${dir}${e.name}/`) : /\.test\.tsx?$/.test(e.name) ? [`${dir}${e.name}`] : [],
  )
}

describe('docs/http-api.md', async () => {
  // The routes the running server registers (Hono keeps them), as "METHOD /path" with `:id` → `{id}`.
  const server = await createTestServer()
  const routes = [
    ...new Set(
      server.app.routes
        .filter((r) => r.method !== 'ALL' && !r.path.endsWith('*'))
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
    ),
  ]
  await server.close()

  it('finds the routes of the server', () => {
    expect(routes).toContain('POST /api/auth/login')
    expect(routes).toContain('DELETE /api/keys/{id}')
    expect(routes).toContain('POST /profile/sessions/{id}/revoke')
    expect(routes.length).toBeGreaterThan(50)
  })

  it('names every route the server registers', () => {
    // A table row (| METHOD | `/path` |) or an inline `METHOD /path`, on one line.
    const lines = httpApi.split('\n')
    const documented = (route: string) => {
      const [method, path] = route.split(' ') as [string, string]
      const inRow = new RegExp(`^\\|[^|]*\\b${method}\\b[^|]*\\|.*\`${escapeRegExp(path)}[\`?]`)
      return lines.some((l) => inRow.test(l) || l.includes(`\`${method} ${path}`))
    }
    const missing = routes.filter((r) => !documented(r))
    expect(missing).toEqual([])
  })

  it('serves and documents the OAuth routes of the contract', () => {
    for (const route of [
      'GET /auth/oauth/{provider}',
      'GET /auth/oauth/{provider}/callback',
      'POST /profile/providers/{provider}/link',
      'POST /profile/providers/{provider}/unlink',
      'GET /api/auth/providers',
      'GET /api/me/providers',
      'DELETE /api/me/providers/{provider}',
      'POST /api/auth/oauth/token',
    ]) {
      expect(routes).toContain(route)
      expect(httpApi).toContain(route.split(' ')[1]!)
    }
    expect(httpApi).not.toMatch(/Sign-in with providers — not implemented yet/)
  })
})

describe('docs/security.md', () => {
  const cases = [...security.matchAll(/^(\d+)\. \*\*/gm)].map((m) => Number(m[1]))

  it('numbers the hostile cases 1 to 26, in order', () => {
    expect(cases).toEqual(Array.from({ length: 26 }, (_, i) => i + 1))
  })

  it('names only test files that exist', () => {
    const named = new Set([...security.matchAll(/`(test\/[^`]+\.test\.tsx?)`/g)].map((m) => m[1]!))
    expect(named.size).toBeGreaterThan(20)
    expect([...named].filter((f) => !existsSync(new URL(f, root)))).toEqual([])
  })

  it('has every case a test cites', () => {
    const cited = new Set<number>()
    for (const file of testFiles()) {
      for (const m of read(file).matchAll(/docs\/security\.md cases? ([\d, –and]+)/g)) {
        for (const n of m[1]!.matchAll(/\d+/g)) cited.add(Number(n[0]))
      }
    }
    expect(cited.size).toBeGreaterThan(15)
    expect([...cited].filter((n) => !cases.includes(n))).toEqual([])
  })
})
