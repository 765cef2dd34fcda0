/**
 * A real OpenID provider (panva's oidc-provider) on 127.0.0.1 and a free port, as
 * openid-client's own tests use it. No dev interactions: /interaction/:uid either finishes
 * login and consent at once for the account the test chose (`idp.autoLogin`), denies
 * (`idp.autoDeny`), or shows a small HTML page with a login field and an "Allow" button
 * (the browser test). Counts the refresh grants it answers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import Provider from 'oidc-provider'

export interface IdpAccount {
  email: string
  email_verified: boolean
  name?: string
  groups?: string[]
}

export interface IdpClient {
  client_id: string
  client_secret: string
  redirect_uris: string[]
}

export interface Idp {
  issuer: string
  provider: Provider
  accounts: Record<string, IdpAccount>
  /** The account /interaction signs in without a page, or null to show the page. */
  autoLogin: string | null
  autoDeny: boolean
  /** Refresh grants answered (successful). */
  refreshGrants: number
  /** Refresh grants refused. */
  refreshFailures: number
  /** Refresh grants answer a new refresh token (default true); false: none, the old one stays valid. */
  rotateRefreshTokens: boolean
  close(): Promise<void>
}

type GrantCtx = { oidc: { params?: { grant_type?: string } } }

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => resolve(new URLSearchParams(body)))
    req.on('error', reject)
  })
}

const page = (
  uid: string,
  client: string,
) => `<!doctype html><html lang="en"><head><title>Test IdP</title></head>
<body><main><h1>Test IdP</h1><p>${client} asks to know who you are.</p>
<form method="post" action="/interaction/${uid}"><label for="login">Account</label>
<input id="login" name="login" autocomplete="username"><button type="submit">Allow</button></form></main></body></html>`

export async function startIdp(options: {
  clients: IdpClient[]
  accounts: Record<string, IdpAccount>
  accessTokenTtl?: number
}): Promise<Idp> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' }
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const idp = {
    issuer,
    accounts: options.accounts,
    autoLogin: null,
    autoDeny: false,
    refreshGrants: 0,
    refreshFailures: 0,
    rotateRefreshTokens: true,
  } as unknown as Idp
  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      ...c,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    jwks: { keys: [jwk] },
    findAccount: async (_ctx: unknown, sub: string) => {
      const account = idp.accounts[sub]
      if (!account) return undefined
      return { accountId: sub, claims: async () => ({ sub, ...account, preferred_username: sub }) }
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    features: { devInteractions: { enabled: false }, revocation: { enabled: true } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['test-idp-cookie-key-0123456789'] },
    conformIdTokenClaims: false,
    issueRefreshToken: async () => true,
    rotateRefreshToken: () => idp.rotateRefreshTokens,
    ttl: { AccessToken: options.accessTokenTtl ?? 3600 },
  })
  provider.on('grant.success', (ctx: GrantCtx) => {
    if (ctx.oidc.params?.grant_type === 'refresh_token') idp.refreshGrants++
  })
  provider.on('grant.error', (ctx: GrantCtx) => {
    if (ctx.oidc.params?.grant_type === 'refresh_token') idp.refreshFailures++
  })
  const callback = provider.callback()

  async function finish(req: IncomingMessage, res: ServerResponse, accountId: string) {
    const details = await provider.interactionDetails(req, res)
    const grant = new provider.Grant({ accountId, clientId: details.params.client_id as string })
    grant.addOIDCScope(String(details.params.scope))
    const grantId = await grant.save()
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    )
  }

  server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/interaction\/([\w-]+)$/.exec(req.url ?? '')
    if (!match) return callback(req, res)
    try {
      if (req.method === 'POST') {
        const form = await readForm(req)
        return await finish(req, res, form.get('login') ?? '')
      }
      if (idp.autoDeny)
        return await provider.interactionFinished(req, res, {
          error: 'access_denied',
          error_description: 'cancelled',
        })
      if (idp.autoLogin) return await finish(req, res, idp.autoLogin)
      const details = await provider.interactionDetails(req, res)
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(page(match[1]!, String(details.params.client_id)))
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(String(error))
    }
  })
  idp.provider = provider
  idp.close = () => new Promise<void>((resolve) => server.close(() => resolve()))
  return idp
}

/**
 * A browser's trip through the provider with fetch: follows the provider's redirects with its
 * own cookie jar until the redirect leaves the provider (back to the app's callback).
 */
export class IdpBrowser {
  readonly jar = new Map<string, string>()
  constructor(private readonly issuer: string) {}

  async follow(url: string): Promise<URL> {
    let current = new URL(url)
    for (let i = 0; i < 10; i++) {
      if (current.origin !== new URL(this.issuer).origin) return current
      const res = await fetch(current, {
        redirect: 'manual',
        headers: { cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') },
      })
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';')
        const eq = pair!.indexOf('=')
        this.jar.set(pair!.slice(0, eq), pair!.slice(eq + 1))
      }
      const location = res.headers.get('location')
      if (!location)
        throw new Error(`The provider stopped at ${current.pathname} with ${res.status}: ${await res.text()}`)
      current = new URL(location, current)
    }
    throw new Error('Too many redirects at the provider')
  }
}
