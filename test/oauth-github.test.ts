/** The github provider through GITHUB_URL against a GitHub-shaped server over HTTP. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Client } from './helpers/client.ts'
import { type GithubServer, startGithubServer } from './helpers/github-server.ts'
import { errorCodeOf, HTML, me, signInVia, startAt, userCount } from './helpers/oauth.ts'
import { createTestServer, type TestServer } from './helpers/server.ts'

let gh: GithubServer
let server: TestServer

const octo = {
  id: 583231,
  login: 'octocat',
  name: 'The Octocat',
  emails: [
    { email: 'octo@old.example', primary: false, verified: true, visibility: null },
    { email: 'octocat@github.example', primary: true, verified: true, visibility: 'private' as const },
  ],
  teams: [
    { org: 'acme', slug: 'admins' },
    { org: 'acme', slug: 'devs' },
  ],
}

beforeAll(async () => {
  gh = await startGithubServer({ id: 'Iv1.gh-client', secret: 'gh-secret-0123456789' })
})
afterAll(() => gh.close())

beforeEach(async () => {
  gh.next = octo
  gh.tokenRequests.length = 0
  server = await createTestServer({
    oauth: {
      GITHUB_CLIENT_ID: 'Iv1.gh-client',
      GITHUB_CLIENT_SECRET: 'gh-secret-0123456789',
      GITHUB_URL: gh.url,
      GITHUB_GROUPS: 'true',
      GATEHOUSE_OAUTH_GROUP_ROLES: 'github:acme/admins=admin',
    },
  })
  return () => server.close()
})

describe('GitHub (Enterprise Server layout through GITHUB_URL)', () => {
  it('the server answers the token request form-encoded unless JSON is asked for (GitHub’s shape)', async () => {
    const res = await fetch(`${gh.url}/login/oauth/access_token`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: 'Iv1.gh-client', code: 'nope' }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/x-www-form-urlencoded')
    expect(new URLSearchParams(await res.text()).get('error')).toBe('bad_verification_code')
  })

  it('signs in with the primary verified address from /user/emails (the /user email is null) and teams as groups', async () => {
    const client = new Client(server.send)
    const start = new URL(await startAt(client, '/auth/oauth/github'))
    expect(start.origin + start.pathname).toBe(`${gh.url}/login/oauth/authorize`)
    expect(start.searchParams.get('scope')).toBe('read:user user:email read:org')
    expect(start.searchParams.get('code_challenge_method')).toBe('S256')
    const { res } = await signInVia(client, gh.url, '/auth/oauth/github')
    expect(res.status).toBe(302)
    const user = await me(client)
    expect(user?.email).toBe('octocat@github.example')
    expect(user?.roles.sort()).toEqual(['admin', 'user'])
    expect(gh.tokenRequests.at(-1)?.accept).toContain('application/json')
    expect(gh.tokenRequests.at(-1)?.body.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const token = await server.services.auth.providerToken(user!.id, 'github')
    expect(token).toMatch(/^gho_/)
    // What an app does with it: call the GitHub API as the user.
    const teams = await fetch(`${gh.url}/api/v3/user/teams`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect((await teams.json()).map((t: { slug: string }) => t.slug)).toEqual(['admins', 'devs'])
  })

  it('an unverified primary address does not link to a local account', async () => {
    await server.services.auth.createUser({
      email: 'octocat@github.example',
      username: 'octo',
      password: 'a long passphrase 1',
      emailVerified: true,
    })
    gh.next = {
      ...octo,
      emails: [{ email: 'octocat@github.example', primary: true, verified: false, visibility: null }],
    }
    const client = new Client(server.send)
    const { res } = await signInVia(client, gh.url, '/auth/oauth/github')
    expect(res.status).toBe(409)
    expect(errorCodeOf(await res.text())).toBe('OAUTH_ACCOUNT_EXISTS')
    expect(await me(client)).toBeNull()
    expect(await userCount(server)).toBe(1)
  })

  it('the same server as a custom OAuth 2 provider of the config file (fields mapping, groups endpoint)', async () => {
    const custom = await createTestServer({
      auth: { roles: { user: [], admin: ['*'] } },
      oauth: {
        GATEHOUSE_OAUTH_GROUP_ROLES: 'forge:admins=admin',
        custom: [
          {
            id: 'forge',
            name: 'Forge',
            clientId: 'Iv1.gh-client',
            clientSecret: 'gh-secret-0123456789',
            authorizationUrl: `${gh.url}/login/oauth/authorize`,
            tokenUrl: `${gh.url}/login/oauth/access_token`,
            userUrl: `${gh.url}/api/v3/user`,
            scope: 'read:user',
            fields: { id: 'id', email: 'email', name: 'name', username: 'login' },
            groupsUrl: `${gh.url}/api/v3/user/teams`,
          },
        ],
      },
    })
    try {
      gh.next = { ...octo, publicEmail: 'octo@public.example' }
      const client = new Client(custom.send)
      const { res } = await signInVia(client, gh.url, '/auth/oauth/forge')
      expect(res.status).toBe(302)
      const user = await me(client)
      expect(user?.email).toBe('octo@public.example')
      expect(user?.roles.sort()).toEqual(['admin', 'user'])
      // No email_verified in the mapping: the address is not taken as verified.
      expect((await custom.services.auth.stores.users.getUserById(user!.id))?.emailVerified).toBe(false)
    } finally {
      await custom.close()
    }
  })

  it('GitHub’s 200-with-error token answer is OAUTH_INVALID_RESPONSE, no session', async () => {
    const client = new Client(server.send)
    const location = await startAt(client, '/auth/oauth/github')
    const state = new URL(location).searchParams.get('state')!
    const res = await client.get(`/auth/oauth/github/callback?code=forged&state=${state}`, HTML)
    expect(res.status).toBe(400)
    expect(errorCodeOf(await res.text())).toBe('OAUTH_INVALID_RESPONSE')
    expect(await userCount(server)).toBe(0)
  })
})
