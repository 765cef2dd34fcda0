/** Long-lived credentials (API keys) need a fresh proof to mint and die with a compromise. */
import { describe, expect, it } from 'vitest'
import { Client } from './helpers/client.ts'
import { createTestServer, signedUpClient, type TestServer } from './helpers/server.ts'

const PASSWORD = 'correct horse battery staple'

const signedUp = async (s: TestServer, username: string) =>
  (await signedUpClient(s, username, PASSWORD)).client

async function tokens(s: TestServer, username: string) {
  const res = await new Client(s.send).post('/api/auth/login', { login: username, password: PASSWORD })
  expect(res.status).toBe(200)
  return (await res.json()) as { access_token: string; refresh_token: string }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code

describe('minting an API key', () => {
  it('with a session: free within five minutes of the login, then only with the password', async () => {
    const s = await createTestServer()
    const browser = await signedUp(s, 'ada')
    expect((await browser.post('/api/keys', { name: 'early' })).status).toBe(201)
    s.clock.advance(5 * 60_000 + 1000)
    const late = await browser.post('/api/keys', { name: 'late' })
    expect(late.status).toBe(401)
    expect(await code(late)).toBe('FRESH_LOGIN_REQUIRED')
    const wrong = await browser.post('/api/keys', { name: 'late', password: 'a wrong password' })
    expect(await code(wrong)).toBe('FRESH_LOGIN_REQUIRED')
    expect((await browser.post('/api/keys', { name: 'late', password: PASSWORD })).status).toBe(201)
    await s.close()
  })

  it('with a token: a fresh one within five minutes of its login may, a refreshed one needs the password', async () => {
    const s = await createTestServer()
    await signedUp(s, 'bob')
    const pair = await tokens(s, 'bob')
    const api = new Client(s.send)
    s.clock.advance(4 * 60_000)
    expect((await api.post('/api/keys', { name: 'fresh' }, bearer(pair.access_token))).status).toBe(201)
    // Still fresh (a login token) and still alive (15 min), but its login is 6 minutes old.
    s.clock.advance(2 * 60_000)
    const late = await api.post('/api/keys', { name: 'late' }, bearer(pair.access_token))
    expect(await code(late)).toBe('FRESH_LOGIN_REQUIRED')
    const refreshed = (await (
      await api.post('/api/auth/refresh', { refresh_token: pair.refresh_token })
    ).json()) as {
      access_token: string
    }
    const stale = await api.post('/api/keys', { name: 'stale' }, bearer(refreshed.access_token))
    expect(await code(stale)).toBe('FRESH_LOGIN_REQUIRED')
    const confirmed = await api.post(
      '/api/keys',
      { name: 'stale', password: PASSWORD },
      bearer(refreshed.access_token),
    )
    expect(confirmed.status).toBe(201)
    await s.close()
  })

  it('password guesses to confirm are throttled like logins', async () => {
    const s = await createTestServer({ auth: { throttle: { account: { points: 3, duration: 900 } } } })
    const browser = await signedUp(s, 'carol')
    s.clock.advance(10 * 60_000)
    const statuses: number[] = []
    for (let i = 0; i < 5; i++)
      statuses.push((await browser.post('/api/keys', { name: 'k', password: `guess number ${i}` })).status)
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401])
    expect(statuses.slice(3)).toEqual([429, 429])
    await s.close()
  })
})

describe('API keys end with a compromise', () => {
  it('a replayed refresh token revokes the owner’s API keys as well as the family', async () => {
    const s = await createTestServer()
    await signedUp(s, 'dave')
    const pair = await tokens(s, 'dave')
    const api = new Client(s.send)
    const key = (
      (await (await api.post('/api/keys', { name: 'ci' }, bearer(pair.access_token))).json()) as {
        key: string
      }
    ).key
    expect((await api.get('/api/me', { 'x-api-key': key })).status).toBe(200)
    expect((await api.post('/api/auth/refresh', { refresh_token: pair.refresh_token })).status).toBe(200)
    const replay = await api.post('/api/auth/refresh', { refresh_token: pair.refresh_token })
    expect(await code(replay)).toBe('TOKEN_REUSED')
    expect((await api.get('/api/me', { 'x-api-key': key })).status).toBe(401)
    await s.close()
  })

  it('logout-all revokes the user’s API keys', async () => {
    const s = await createTestServer()
    const browser = await signedUp(s, 'erin')
    const key = ((await (await browser.post('/api/keys', { name: 'ci' })).json()) as { key: string }).key
    expect((await browser.get('/api/me', { 'x-api-key': key })).status).toBe(200)
    expect((await browser.post('/api/auth/logout-all')).status).toBe(204)
    expect((await new Client(s.send).get('/api/me', { 'x-api-key': key })).status).toBe(401)
    await s.close()
  })
})
