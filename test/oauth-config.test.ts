/** The server's sign-in provider settings: read from the environment or the config file, validated once, failing closed. */

import type { AddressInfo } from 'node:net'
import { createServer as createTcpServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadServerConfig } from '../src/server/config.ts'
import { oauthModuleFrom } from '../src/server/oauth-config.ts'
import { Client } from './helpers/client.ts'
import { type EvilIdp, startEvilIdp } from './helpers/evil-idp.ts'
import { errorCodeOf, HTML, me, signInVia, userCount } from './helpers/oauth.ts'
import { createTestServer } from './helpers/server.ts'

const quiet = { warn: () => {} }
const dev = { production: false, publicUrl: 'http://localhost:8000', logger: quiet }
const prod = { ...dev, production: true, publicUrl: 'https://auth.example.com' }
const oidc = (issuer: string) => ({
  OIDC_CORP_ISSUER: issuer,
  OIDC_CORP_CLIENT_ID: 'id',
  OIDC_CORP_CLIENT_SECRET: 'secret',
})

describe('provider settings', () => {
  it('reads the variables of API.md from the environment, and nothing else', () => {
    const config = loadServerConfig({
      GITHUB_CLIENT_ID: 'gh',
      GITHUB_CLIENT_SECRET: 'ghs',
      OIDC_CORP_ISSUER: 'https://idp.example',
      GATEHOUSE_APP_REDIRECT_URIS: 'app:/cb',
      HOME: '/root',
    })
    expect(config.oauth).toEqual({
      GITHUB_CLIENT_ID: 'gh',
      GITHUB_CLIENT_SECRET: 'ghs',
      OIDC_CORP_ISSUER: 'https://idp.example',
      GATEHOUSE_APP_REDIRECT_URIS: 'app:/cb',
    })
  })

  it('a provider appears when its client id and secret are set', () => {
    expect(oauthModuleFrom({ GITHUB_CLIENT_ID: 'gh' }, dev).providers).toEqual([])
    const all = oauthModuleFrom(
      {
        GITHUB_CLIENT_ID: 'gh',
        GITHUB_CLIENT_SECRET: 's',
        GOOGLE_CLIENT_ID: 'g',
        GOOGLE_CLIENT_SECRET: 's',
        AZURE_CLIENT_ID: 'a',
        AZURE_CLIENT_SECRET: 's',
        AZURE_TENANT_ID: '8c1b2a3e-0000-4000-8000-000000000001',
        AUTH0_DOMAIN: 'acme.eu.auth0.com',
        AUTH0_CLIENT_ID: 'z',
        AUTH0_CLIENT_SECRET: 's',
        AUTH0_AUDIENCE: 'https://api.acme.example',
        ...oidc('https://idp.example'),
        OIDC_CORP_LABEL: 'Corp SSO',
      },
      prod,
    )
    expect(all.providers.map((p) => [p.id, p.name])).toEqual([
      ['github', 'GitHub'],
      ['google', 'Google'],
      ['azure', 'Microsoft'],
      ['auth0', 'Auth0'],
      ['corp', 'Corp SSO'],
    ])
    const [github, google, azure, auth0] = all.providers
    expect(github!.metadata?.token_endpoint).toBe('https://github.com/login/oauth/access_token')
    expect(google!.issuer).toBe('https://accounts.google.com')
    expect(azure!.issuer).toBe('https://login.microsoftonline.com/8c1b2a3e-0000-4000-8000-000000000001/v2.0')
    expect(auth0!.issuer).toBe('https://acme.eu.auth0.com/')
    expect(auth0!.scope).toContain('offline_access')
    expect(auth0!.authParams).toEqual({ audience: 'https://api.acme.example' })
  })

  it('GitHub Enterprise Server: the API under <GITHUB_URL>/api/v3', () => {
    const m = oauthModuleFrom(
      { GITHUB_CLIENT_ID: 'gh', GITHUB_CLIENT_SECRET: 's', GITHUB_URL: 'https://git.corp.example/' },
      prod,
    )
    expect(m.providers[0]!.metadata?.authorization_endpoint).toBe(
      'https://git.corp.example/login/oauth/authorize',
    )
  })

  it('production refuses http:// issuers, naming the setting', () => {
    expect(() => oauthModuleFrom(oidc('http://127.0.0.1:9000'), prod)).toThrow(/OIDC_CORP_ISSUER.*https/)
    expect(() =>
      oauthModuleFrom(
        { GITHUB_CLIENT_ID: 'gh', GITHUB_CLIENT_SECRET: 's', GITHUB_URL: 'http://git.corp' },
        prod,
      ),
    ).toThrow(/GITHUB_URL/)
  })

  it('development accepts http:// only on loopback, with a warning', () => {
    const warnings: string[] = []
    const logger = { warn: (m: string) => void warnings.push(m) }
    for (const host of ['127.0.0.1:9000', 'localhost:9000', '[::1]:9000'])
      expect(oauthModuleFrom(oidc(`http://${host}`), { ...dev, logger }).providers).toHaveLength(1)
    expect(warnings).toHaveLength(3)
    expect(warnings[0]).toMatch(/OIDC_CORP_ISSUER uses http:\/\//)
    expect(() => oauthModuleFrom(oidc('http://idp.example'), dev)).toThrow(/OIDC_CORP_ISSUER/)
  })

  it('bad settings fail at start with the name', () => {
    expect(() => oauthModuleFrom({ GITHUB_CLIENT_IDD: 'x' }, dev)).toThrow(/GITHUB_CLIENT_IDD/)
    expect(() => oauthModuleFrom({ FOO: 'x' }, dev)).toThrow(/oauth\.FOO/)
    expect(() => oauthModuleFrom({ GATEHOUSE_OAUTH_GROUP_ROLES: 'admins=admin' }, dev)).toThrow(
      /GATEHOUSE_OAUTH_GROUP_ROLES/,
    )
    expect(() => oauthModuleFrom({ AUTH0_CLIENT_ID: 'a', AUTH0_CLIENT_SECRET: 's' }, dev)).toThrow(
      /AUTH0_DOMAIN/,
    )
    expect(() => oauthModuleFrom({ OIDC_CORP_ISSUER: 'https://idp.example' }, dev)).toThrow(
      /OIDC_CORP_CLIENT_ID/,
    )
    expect(() => oauthModuleFrom({ GATEHOUSE_APP_REDIRECT_URIS: 'not a uri' }, dev)).toThrow(
      /GATEHOUSE_APP_REDIRECT_URIS/,
    )
    expect(() => oauthModuleFrom({ GATEHOUSE_OAUTH_TIMEOUT_SECONDS: '0' }, dev)).toThrow(
      /GATEHOUSE_OAUTH_TIMEOUT_SECONDS/,
    )
    expect(() =>
      oauthModuleFrom({ GITHUB_CLIENT_ID: 'a', GITHUB_CLIENT_SECRET: 's', GITHUB_GROUPS: 'maybe' }, dev),
    ).toThrow(/GITHUB_GROUPS/)
  })

  it('a custom OAuth 2 provider from the config file', () => {
    const m = oauthModuleFrom(
      {
        custom: [
          {
            id: 'acme',
            name: 'Acme',
            clientId: 'c',
            clientSecret: 's',
            authorizationUrl: 'https://sso.acme.example/oauth/authorize',
            tokenUrl: 'https://sso.acme.example/oauth/token',
            userUrl: 'https://api.acme.example/me',
            scope: 'profile email',
            fields: { id: 'data.uuid', email: 'data.mail' },
          },
        ],
      },
      prod,
    )
    expect(m.providers.map((p) => [p.id, p.oidc, p.scope])).toEqual([['acme', false, 'profile email']])
    expect(() => oauthModuleFrom({ custom: [{ id: 'acme' }] }, prod)).toThrow(/oauth\.custom\.0/)
  })
})

describe('a provider that does not answer', () => {
  let hang: Server
  let hangPort: number
  let evil: EvilIdp
  beforeAll(async () => {
    // Accepts connections and never answers.
    hang = createTcpServer(() => {})
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve))
    hangPort = (hang.address() as AddressInfo).port
    evil = await startEvilIdp({ clientId: 'gh-evil' })
  })
  afterAll(async () => {
    hang.close()
    await evil.close()
  })

  it('times out (GATEHOUSE_OAUTH_TIMEOUT_SECONDS) with 424 OAUTH_PROVIDER_UNAVAILABLE (a 4xx, as API.md asks of every callback failure) and Retry-After', async () => {
    const server = await createTestServer({
      oauth: { ...oidc(`http://127.0.0.1:${hangPort}`), GATEHOUSE_OAUTH_TIMEOUT_SECONDS: '1' },
    })
    try {
      const res = await new Client(server.send).get('/auth/oauth/corp', HTML)
      expect(res.status).toBe(424)
      expect(res.headers.get('retry-after')).toBeTruthy()
      expect(errorCodeOf(await res.text())).toBe('OAUTH_PROVIDER_UNAVAILABLE')
      const api = await new Client(server.send).get('/auth/oauth/corp')
      expect((await api.json()).error.code).toBe('OAUTH_PROVIDER_UNAVAILABLE')
    } finally {
      await server.close()
    }
  })

  it('a token endpoint answering 502 after the redirect: OAUTH_PROVIDER_UNAVAILABLE, no session, no user', async () => {
    const server = await createTestServer({
      oauth: { OIDC_EVIL_ISSUER: evil.url, OIDC_EVIL_CLIENT_ID: 'gh-evil', OIDC_EVIL_CLIENT_SECRET: 's' },
    })
    try {
      evil.mode = 'token-down'
      const client = new Client(server.send)
      const { res } = await signInVia(client, evil.url, '/auth/oauth/evil')
      expect(res.status).toBe(424)
      expect(errorCodeOf(await res.text())).toBe('OAUTH_PROVIDER_UNAVAILABLE')
      expect(await me(client)).toBeNull()
      expect(await userCount(server)).toBe(0)
    } finally {
      evil.mode = 'good'
      await server.close()
    }
  })
})
