/**
 * A GitHub-shaped OAuth 2 server (GitHub Enterprise Server layout: the web flow at
 * /login/oauth/*, the REST API at /api/v3) with GitHub's real response shapes: the token
 * endpoint answers form-encoded unless asked for JSON, and errors with 200 and an `error`
 * field; `/user` has `"email": null` for a private address; `/user/emails`; `/user/teams`.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface GithubUser {
  id: number
  login: string
  name: string | null
  emails: { email: string; primary: boolean; verified: boolean; visibility: 'public' | 'private' | null }[]
  teams: { org: string; slug: string }[]
  /** The profile's public email (`/user` says null when there is none). */
  publicEmail?: string
}

export interface GithubServer {
  url: string
  /** Who signs in at the next authorization. */
  next: GithubUser | null
  /** Token requests seen, with their Accept header. */
  tokenRequests: { accept: string | null; body: URLSearchParams }[]
  close(): Promise<void>
}

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = ''
    req.on('data', (c) => {
      text += c
    })
    req.on('end', () => resolve(text))
  })

export async function startGithubServer(client: { id: string; secret: string }): Promise<GithubServer> {
  const codes = new Map<string, { user: GithubUser; challenge: string | null; redirectUri: string }>()
  const tokens = new Map<string, GithubUser>()
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const gh: GithubServer = {
    url,
    next: null,
    tokenRequests: [],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
  server.on('request', async (req, res) => {
    const u = new URL(req.url ?? '/', url)
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
      res.end(JSON.stringify(value))
    }
    if (u.pathname === '/login/oauth/authorize') {
      if (u.searchParams.get('client_id') !== client.id || !gh.next)
        return json(404, { message: 'Not Found' })
      const code = randomBytes(10).toString('hex')
      codes.set(code, {
        user: gh.next,
        challenge: u.searchParams.get('code_challenge'),
        redirectUri: u.searchParams.get('redirect_uri')!,
      })
      const back = new URL(u.searchParams.get('redirect_uri')!)
      back.searchParams.set('code', code)
      back.searchParams.set('state', u.searchParams.get('state') ?? '')
      res.writeHead(302, { location: back.href })
      return res.end()
    }
    if (u.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      const body = new URLSearchParams(await read(req))
      const accept = req.headers.accept ?? null
      gh.tokenRequests.push({ accept, body })
      const grant = codes.get(body.get('code') ?? '')
      codes.delete(body.get('code') ?? '')
      const verifier = body.get('code_verifier') ?? ''
      const pkceOk =
        !grant?.challenge || createHash('sha256').update(verifier).digest('base64url') === grant.challenge
      const answer: Record<string, string> =
        !grant ||
        body.get('client_secret') !== client.secret ||
        !pkceOk ||
        body.get('redirect_uri') !== grant.redirectUri
          ? {
              error: 'bad_verification_code',
              error_description: 'The code passed is incorrect or expired.',
              error_uri:
                'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code',
            }
          : {
              access_token: `gho_${randomBytes(18).toString('hex')}`,
              token_type: 'bearer',
              scope: 'read:org,read:user,user:email',
            }
      if (answer.access_token) tokens.set(answer.access_token, grant!.user)
      // GitHub: 200 either way; JSON only when asked, else form-encoded.
      if (accept?.includes('application/json')) return json(200, answer)
      res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' })
      return res.end(new URLSearchParams(answer).toString())
    }
    const auth = /^(?:Bearer|token) (\S+)$/i.exec(req.headers.authorization ?? '')
    const user = auth ? tokens.get(auth[1]!) : undefined
    if (u.pathname.startsWith('/api/v3/')) {
      if (!user)
        return json(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' })
      if (u.pathname === '/api/v3/user')
        return json(200, {
          login: user.login,
          id: user.id,
          node_id: `U_${user.id}`,
          avatar_url: `${url}/avatars/u/${user.id}`,
          type: 'User',
          site_admin: false,
          name: user.name,
          company: null,
          email: user.publicEmail ?? null,
        })
      if (u.pathname === '/api/v3/user/emails') return json(200, user.emails)
      if (u.pathname === '/api/v3/user/teams')
        return json(
          200,
          user.teams.map((t, i) => ({
            id: i + 1,
            node_id: `T_${i + 1}`,
            name: t.slug,
            slug: t.slug,
            privacy: 'closed',
            organization: { login: t.org, id: 100 + i },
          })),
        )
    }
    json(404, { message: 'Not Found' })
  })
  return gh
}
