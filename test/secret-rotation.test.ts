/**
 * Secrets at rest with rotation (issue 14): the server secret seals, any of
 * GATEHOUSE_PREVIOUS_SECRETS opens. A server restarted with a new secret and the old one
 * listed as previous keeps working — its tokens verify, its refresh tokens refresh, its
 * signing key (sealed under the old secret) still signs — and without the list it cannot.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createSecretBox } from '../src/core/crypto/secretbox.ts'
import { createServer, type GatehouseServer } from '../src/server/app.ts'
import { loadServerConfig } from '../src/server/config.ts'

const OLD = 'the-old-server-secret-0123456789abcdef'
const NEW = 'the-new-server-secret-0123456789abcdef'
const PASSWORD = 'correct horse battery staple'

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return (error as { code?: string }).code
  }
  return undefined
}

describe('secretbox with previous secrets', () => {
  it('the first secret seals, any opens; rotate() re-seals under the first', () => {
    const sealed = createSecretBox(OLD, 'provider-token').seal('gho_secret')
    const ring = createSecretBox([NEW, OLD], 'provider-token')
    expect(ring.openWithInfo(sealed)).toEqual({ plaintext: 'gho_secret', current: false })
    const rotated = ring.rotate(sealed)
    expect(ring.openWithInfo(rotated)).toEqual({ plaintext: 'gho_secret', current: true })
    expect(createSecretBox(NEW, 'provider-token').open(rotated)).toBe('gho_secret')
    // Without the old secret the old box stays shut; the purpose still binds.
    expect(code(() => createSecretBox(NEW, 'provider-token').open(sealed))).toBe('INVALID_TOKEN')
    expect(code(() => createSecretBox([NEW, OLD], 'signing-key:x').open(sealed))).toBe('INVALID_TOKEN')
    expect(code(() => createSecretBox([], 'x'))).toBe('CONFIG_INVALID')
    expect(code(() => createSecretBox([NEW, 'short'], 'x'))).toBe('CONFIG_INVALID')
  })
})

describe('GATEHOUSE_PREVIOUS_SECRETS', () => {
  it('is a comma list, validated once: empty entries, a repeat of the secret, short ones in production', async () => {
    expect(loadServerConfig({ GATEHOUSE_PREVIOUS_SECRETS: ` ${OLD} , ${NEW}x ` }).previousSecrets).toEqual([
      OLD,
      `${NEW}x`,
    ])
    expect(loadServerConfig({}).previousSecrets).toEqual([])
    expect(() => loadServerConfig({ GATEHOUSE_PREVIOUS_SECRETS: `${OLD},,${NEW}` })).toThrow(
      /"previousSecrets" \(GATEHOUSE_PREVIOUS_SECRETS\)/,
    )
    const base = { mode: 'test', databaseUrl: 'sqlite::memory:', secret: NEW }
    await expect(createServer(loadServerConfig({}, { ...base, previousSecrets: [NEW] }))).rejects.toThrow(
      /"previousSecrets": must not repeat the current secret/,
    )
    const production = {
      ...base,
      mode: 'production',
      publicUrl: 'https://auth.example',
      smtpUrl: 'smtp://127.0.0.1:1',
      previousSecrets: ['too-short'],
    }
    await expect(createServer(loadServerConfig({}, production))).rejects.toThrow(
      /"previousSecrets": each must be at least 32 characters/,
    )
  })
})

describe('a server restarted with a new secret', () => {
  let dir: string | undefined
  let running: GatehouseServer | undefined
  afterEach(async () => {
    await running?.close()
    running = undefined
    if (dir) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  async function start(secret: string, previousSecrets: string[] = []): Promise<GatehouseServer> {
    await running?.close()
    running = await createServer(
      loadServerConfig(
        {},
        {
          mode: 'test',
          secret,
          previousSecrets,
          publicUrl: 'http://localhost:8000',
          databaseUrl: `sqlite:${join(dir!, 'g.db')}`,
          auth: { password: { memoryCost: 8192, timeCost: 1 } },
        },
      ),
      { logger: { warn: () => {}, info: () => {} } },
    )
    return running
  }

  const post = (s: GatehouseServer, path: string, body: unknown) =>
    s.app.request(`http://localhost:8000${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  const me = (s: GatehouseServer, token: string) =>
    s.app.request('http://localhost:8000/api/me', { headers: { authorization: `Bearer ${token}` } })
  const login = (s: GatehouseServer) => post(s, '/api/auth/login', { login: 'ada', password: PASSWORD })

  it('with the old secret in GATEHOUSE_PREVIOUS_SECRETS: old tokens verify and refresh, new ones are signed', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-rotate-'))
    let s = await start(OLD)
    await s.services.auth.signUp({ email: 'ada@example.com', username: 'ada', password: PASSWORD })
    const before = (await (await login(s)).json()) as { access_token: string; refresh_token: string }

    s = await start(NEW, [OLD])
    expect((await me(s, before.access_token)).status).toBe(200)
    const refreshed = await post(s, '/api/auth/refresh', { refresh_token: before.refresh_token })
    expect(refreshed.status).toBe(200)
    const after = (await refreshed.json()) as { access_token: string; refresh_token: string }
    expect((await me(s, after.access_token)).status).toBe(200)
    expect((await login(s)).status).toBe(200)

    // Rotating the signing key seals the new one under the new secret: the old one can go.
    await s.services.auth.tokens!.rotateKeys()
    s = await start(NEW)
    expect((await login(s)).status).toBe(200)
    expect((await me(s, after.access_token)).status).toBe(200)
  })

  it('without it, the key sealed under the old secret cannot sign and old refresh tokens are refused', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-rotate-'))
    let s = await start(OLD)
    await s.services.auth.signUp({ email: 'ada@example.com', username: 'ada', password: PASSWORD })
    const before = (await (await login(s)).json()) as { refresh_token: string }
    s = await start(NEW)
    expect((await post(s, '/api/auth/refresh', { refresh_token: before.refresh_token })).status).toBe(401)
    const refused = await login(s)
    expect(refused.status).toBe(500)
    expect((await refused.json()).error.code).toBe('CONFIG_INVALID')
  })
})
