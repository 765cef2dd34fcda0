import { Hono } from 'hono'
import { TrieRouter } from 'hono/router/trie-router'
import { describe, expect, it } from 'vitest'
import { StaticPathRouter } from '../src/server/router.ts'

const ROUTES: [string, string][] = [
  ['ALL', '*'],
  ['GET', '/healthz'],
  ['GET', '/api/me'],
  ['POST', '/profile/sessions/revoke-others'],
  ['POST', '/profile/sessions/:id/revoke'],
  ['GET', '/static/vendor/:pkg/*'],
  ['GET', '/admin/users/:id'],
  ['ALL', '/api/*'],
]

const PATHS = [
  '/healthz',
  '/api/me',
  '/api/nope',
  '/profile/sessions/revoke-others',
  '/profile/sessions/abc/revoke',
  '/static/vendor/pico/css/pico.css',
  '/admin/users/42',
  '/',
]

function both() {
  const kept = new StaticPathRouter<string>()
  const trie = new TrieRouter<string>()
  for (const [method, path] of ROUTES) {
    kept.add(method, path, `${method} ${path}`)
    trie.add(method, path, `${method} ${path}`)
  }
  return { kept, trie }
}

describe('StaticPathRouter', () => {
  it('answers every path and method as the trie does, the first time and when kept', () => {
    const { kept, trie } = both()
    for (let round = 0; round < 2; round++)
      for (const method of ['GET', 'POST', 'DELETE'])
        for (const path of PATHS) expect(kept.match(method, path)).toEqual(trie.match(method, path))
    expect(kept.keptCount).toBeGreaterThan(0)
  })

  it('keeps only registered static paths with the usual methods: unknown paths and methods add nothing', () => {
    const { kept } = both()
    for (let i = 0; i < 1000; i++) {
      kept.match('GET', `/random/${i}`)
      kept.match(`M${i}`, '/healthz')
      kept.match('GET', `/admin/users/${i}`)
    }
    expect(kept.keptCount).toBe(0)
    kept.match('GET', '/healthz')
    kept.match('GET', '/healthz')
    expect(kept.keptCount).toBe(1)
  })

  it('forgets what it kept when a route is added, so a later route is matched', () => {
    const { kept } = both()
    const before = kept.match('GET', '/healthz')[0].map(([handler]) => handler)
    kept.add('GET', '/healthz', 'late')
    const after = kept.match('GET', '/healthz')[0].map(([handler]) => handler)
    expect(before).not.toContain('late')
    expect(after).toEqual([...before, 'late'])
  })

  it('serves a Hono app whose routes RegExpRouter refuses, params included', async () => {
    const app = new Hono({ router: new StaticPathRouter() })
    app.post('/s/revoke-others', (c) => c.text('others'))
    app.post('/s/:id/revoke', (c) => c.text(`one ${c.req.param('id')}`))
    for (let i = 0; i < 2; i++) {
      expect(await (await app.request('/s/revoke-others', { method: 'POST' })).text()).toBe('others')
      expect(await (await app.request('/s/x1/revoke', { method: 'POST' })).text()).toBe('one x1')
      expect((await app.request('/s/revoke-others')).status).toBe(404)
    }
  })
})
