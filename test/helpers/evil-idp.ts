/**
 * A hand-rolled OpenID provider whose token endpoint hands out ID tokens crafted to be
 * wrong in one way each (the hostile cases of SECURITY.md), signed with jose. Only the
 * test server crafts tokens; the product validates them with openid-client. `mode: 'good'`
 * is the positive control: the same server with a correct token signs in.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose'

export type EvilMode =
  | 'good'
  | 'wrong-aud'
  | 'wrong-iss'
  | 'no-nonce'
  | 'wrong-nonce'
  | 'expired'
  | 'alg-none'
  | 'foreign-key'
  /** The token endpoint answers 502 (the provider is down after the redirect). */
  | 'token-down'

export interface EvilIdp {
  url: string
  /** The issuer it claims (default its URL; the Entra pattern for tenant tests). */
  issuer: string
  mode: EvilMode
  /** Claims added to the ID token (email, tid…). */
  claims: Record<string, unknown>
  /** Overrides the ID token's iss (Entra: the tenant's issuer). */
  tokenIssuer: string | null
  /** Refresh tokens presented at its token endpoint; it answers without a new refresh token. */
  refreshes: string[]
  close(): Promise<void>
}

const body = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = ''
    req.on('data', (c) => {
      text += c
    })
    req.on('end', () => resolve(text))
  })

export async function startEvilIdp(options: {
  clientId: string
  issuer?: (url: string) => string
}): Promise<EvilIdp> {
  const good = await generateKeyPair('RS256', { extractable: true })
  const foreign = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await exportJWK(good.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
  const nonces = new Map<string, string>()
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const idp: EvilIdp = {
    url,
    issuer: options.issuer ? options.issuer(url) : url,
    mode: 'good',
    claims: {},
    tokenIssuer: null,
    refreshes: [],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }

  async function idToken(nonce: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    const m = idp.mode
    const payload: JWTPayload = {
      sub: 'evil-subject',
      email: 'victim@example.com',
      email_verified: true,
      ...idp.claims,
      ...(m === 'no-nonce' ? {} : { nonce: m === 'wrong-nonce' ? 'another-nonce' : nonce }),
    }
    const iss = m === 'wrong-iss' ? 'https://evil.example' : (idp.tokenIssuer ?? idp.issuer)
    const aud = m === 'wrong-aud' ? 'someone-else' : options.clientId
    const iat = m === 'expired' ? now - 7200 : now
    const exp = m === 'expired' ? now - 3600 : now + 300
    if (m === 'alg-none') {
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
      return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ ...payload, iss, aud, iat, exp })}.`
    }
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(iss)
      .setAudience(aud)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(m === 'foreign-key' ? foreign.privateKey : good.privateKey)
  }

  server.on('request', async (req, res) => {
    const u = new URL(req.url ?? '/', url)
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(value))
    }
    if (u.pathname.endsWith('/.well-known/openid-configuration')) {
      const base = u.pathname.replace('/.well-known/openid-configuration', '')
      const issuer = idp.issuer
      // The endpoints answer under the issuer's host (the Entra test routes that host here).
      const host = new URL(issuer.replace('{tenantid}', 'x')).origin
      return json(200, {
        issuer,
        authorization_endpoint: `${host}${base}/authorize`,
        token_endpoint: `${host}${base}/token`,
        jwks_uri: `${host}${base}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: !issuer.includes('{tenantid}'),
      })
    }
    if (u.pathname.endsWith('/authorize')) {
      const code = randomBytes(16).toString('hex')
      nonces.set(code, u.searchParams.get('nonce') ?? '')
      const back = new URL(u.searchParams.get('redirect_uri')!)
      back.searchParams.set('code', code)
      back.searchParams.set('state', u.searchParams.get('state') ?? '')
      if (!idp.issuer.includes('{tenantid}')) back.searchParams.set('iss', idp.issuer)
      res.writeHead(302, { location: back.href })
      return res.end()
    }
    if (u.pathname.endsWith('/token')) {
      const form = new URLSearchParams(await body(req))
      if (idp.mode === 'token-down') {
        res.writeHead(502, { 'content-type': 'text/html' })
        return res.end('<h1>502 Bad Gateway</h1>')
      }
      if (form.get('grant_type') === 'refresh_token') {
        idp.refreshes.push(form.get('refresh_token') ?? '')
        return json(200, {
          access_token: `evil-access-${idp.refreshes.length}`,
          token_type: 'Bearer',
          expires_in: 300,
        })
      }
      const nonce = nonces.get(form.get('code') ?? '')
      if (nonce === undefined || !form.get('code_verifier')) return json(400, { error: 'invalid_grant' })
      nonces.delete(form.get('code')!)
      return json(200, {
        access_token: 'evil-access',
        refresh_token: 'evil-refresh',
        token_type: 'Bearer',
        expires_in: 300,
        id_token: await idToken(nonce),
      })
    }
    if (u.pathname.endsWith('/jwks')) return json(200, { keys: [jwk] })
    // Microsoft Graph's group list, for the Entra test (its host is routed here too).
    if (u.pathname === '/v1.0/me/memberOf') {
      if (!/^Bearer evil-access/.test(req.headers.authorization ?? ''))
        return json(401, { error: { code: 'InvalidAuthenticationToken' } })
      return json(200, {
        value: [{ '@odata.type': '#microsoft.graph.group', id: 'g-1', displayName: 'Engineers' }],
      })
    }
    json(404, { error: 'not_found' })
  })
  return idp
}
