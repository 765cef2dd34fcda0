import * as oidc from 'openid-client'
import { AuthError } from '../../errors.ts'
import { providerError } from './errors.ts'
import type { Grant, Profile, ProviderSpec } from './types.ts'

export interface FlowOptions {
  /** Each request to the provider gives up after this long (default 10 s). */
  timeoutMs: number
  /** http:// issuers on loopback (development only; the settings checked that). */
  allowHttp: boolean
  /** A fetch for every provider request (a proxy; tests route hosts). */
  fetch?: oidc.CustomFetch
}

export interface Checks {
  verifier: string
  state: string
  nonce: string
}

/**
 * One provider's protocol, all of it through openid-client: discovery (or the hand-made
 * metadata), the authorization URL with PKCE S256, state and nonce, the code exchange with
 * every check (state, RFC 9207 `iss`, ID token signature through the JWKS, iss, aud, exp,
 * iat, nonce), and refresh. The configuration is discovered once and kept; a failed
 * discovery is not kept, so the next sign-in tries again.
 */
export class ProviderFlow {
  #config: Promise<oidc.Configuration> | null = null

  constructor(
    readonly spec: ProviderSpec,
    private readonly options: FlowOptions,
  ) {}

  /** The origin of the authorization endpoint: the issuer's (or the metadata's), and the discovered one once known. */
  authorizationOrigins(): string[] {
    const known = this.spec.metadata?.authorization_endpoint ?? this.spec.issuer
    const origins = known ? [new URL(known).origin] : []
    if (this.#discovered) origins.push(this.#discovered)
    return origins
  }

  #discovered: string | null = null

  config(): Promise<oidc.Configuration> {
    if (!this.#config) {
      this.#config = this.#load()
      this.#config.catch(() => {
        this.#config = null
      })
    }
    return this.#config
  }

  async #load(): Promise<oidc.Configuration> {
    const { spec, options } = this
    const timeout = Math.max(1, Math.ceil(options.timeoutMs / 1000))
    const execute = options.allowHttp ? [oidc.allowInsecureRequests] : []
    let config: oidc.Configuration
    try {
      if (spec.issuer) {
        config = await oidc.discovery(new URL(spec.issuer), spec.clientId, spec.clientSecret, undefined, {
          execute,
          timeout,
          ...(options.fetch ? { [oidc.customFetch]: options.fetch } : {}),
        })
      } else {
        config = new oidc.Configuration(spec.metadata!, spec.clientId, spec.clientSecret)
        for (const step of execute) step(config)
      }
    } catch (error) {
      throw providerError(error)
    }
    config.timeout = timeout
    const endpoint = config.serverMetadata().authorization_endpoint
    if (endpoint) this.#discovered = new URL(endpoint).origin
    // openid-client trusts TLS for an ID token from the token endpoint and skips its
    // signature; SECURITY.md wants it verified through the JWKS all the same.
    if (spec.oidc) oidc.enableNonRepudiationChecks(config)
    if (options.fetch) config[oidc.customFetch] = options.fetch
    return config
  }

  async authorizationUrl(redirectUri: string, checks: Checks): Promise<URL> {
    const config = await this.config()
    const params: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: this.spec.scope,
      state: checks.state,
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.verifier),
      code_challenge_method: 'S256',
      ...this.spec.authParams,
    }
    if (this.spec.oidc) params.nonce = checks.nonce
    return oidc.buildAuthorizationUrl(config, params)
  }

  /** The code exchange and the profile; throws the module's error codes only. */
  async finish(
    callbackUrl: URL,
    redirectUri: string,
    checks: Checks,
  ): Promise<{ grant: Grant; profile: Profile }> {
    try {
      const config = await this.config()
      // The redirect_uri sent at the token endpoint must be the registered one, not the URL this request came in on.
      const current = new URL(redirectUri)
      current.search = callbackUrl.search
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: checks.verifier,
        expectedState: checks.state,
        ...(this.spec.oidc ? { expectedNonce: checks.nonce, idTokenExpected: true } : {}),
      })
      const grant = toGrant(tokens)
      const profile = await this.spec.profile({
        config,
        grant,
        getJson: (url) => this.getJson(grant.accessToken, url),
      })
      if (!profile.subject || !profile.issuer) throw new AuthError('OAUTH_INVALID_RESPONSE')
      return { grant, profile }
    } catch (error) {
      throw providerError(error)
    }
  }

  /** A refresh grant (errors left raw: provider-tokens.ts tells a dead token from an outage). */
  async refresh(refreshToken: string): Promise<Grant> {
    const config = await this.config()
    const tokens = await oidc.refreshTokenGrant(config, refreshToken)
    return toGrant(tokens, false)
  }

  /** GET a JSON API resource with the access token. */
  async getJson(accessToken: string, url: string): Promise<unknown> {
    const config = await this.config()
    const headers = new Headers({ accept: 'application/json' })
    const res = await oidc.fetchProtectedResource(
      config,
      accessToken,
      new URL(url),
      'GET',
      undefined,
      headers,
    )
    if (!res.ok)
      throw new AuthError(res.status >= 500 ? 'OAUTH_PROVIDER_UNAVAILABLE' : 'OAUTH_INVALID_RESPONSE')
    return res.json()
  }
}

function toGrant(
  tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
  withClaims = true,
): Grant {
  const claims = withClaims ? tokens.claims() : undefined
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token ?? null,
    expiresIn: typeof tokens.expires_in === 'number' ? tokens.expires_in : null,
    claims: claims ? { ...claims } : null,
  }
}
