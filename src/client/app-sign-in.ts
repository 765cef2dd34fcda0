/**
 * App sign-in with a provider (docs/http-api.md "App sign-in"): the client makes the PKCE
 * pair, sends the browser to `GET /auth/oauth/{provider}` with the S256 challenge, and on
 * the way back swaps the one-time code and the verifier for the token pair at
 * `POST /api/auth/oauth/token`. The verifier waits in sessionStorage (this tab only, gone
 * when the tab closes); a code arriving without one — a link someone else made — is ignored.
 */
import { errorFrom, GatehouseClientError } from './errors.ts'
import { challengeOf, createVerifier } from './pkce.ts'
import type { ClientUser } from './types.ts'

interface Pending {
  verifier: string
  provider: string
  redirectUri: string
}

/** What app sign-in needs of the client. */
export interface AppSignInHost {
  readonly storageKey: string
  url(path: string): string
  acceptTokens(pair: { access_token: string; refresh_token: string; expires_in: number }): Promise<ClientUser>
}

export interface LoginWithOptions {
  /** Where the server sends the browser back with `?code=`; one of GATEHOUSE_APP_REDIRECT_URIS. Default this page (no query). */
  redirectUri?: string
}

function pendingArea(): Storage {
  const area = (globalThis as { sessionStorage?: Storage }).sessionStorage
  if (!area) throw new Error('gatehouse client: app sign-in needs sessionStorage')
  return area
}

const pendingKey = (host: AppSignInHost) => `${host.storageKey}.pkce`

/** Makes and keeps the PKCE pair; returns the URL to send the browser to. */
export async function startAppSignIn(
  host: AppSignInHost,
  provider: string,
  options: LoginWithOptions = {},
): Promise<string> {
  const here = (globalThis as { location?: Location }).location
  const redirectUri = options.redirectUri ?? (here ? `${here.origin}${here.pathname}` : '')
  if (!redirectUri) throw new Error('gatehouse client: loginWith needs a redirectUri here')
  const verifier = createVerifier()
  const pending: Pending = { verifier, provider, redirectUri }
  pendingArea().setItem(pendingKey(host), JSON.stringify(pending))
  const query = new URLSearchParams({
    redirect_uri: redirectUri,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  })
  return host.url(`/auth/oauth/${encodeURIComponent(provider)}?${query}`)
}

/**
 * On the redirect URI: when the URL carries `code` (or `error`) and this tab started a
 * sign-in, swaps it for the tokens and returns the user; null when there is nothing to do.
 * The verifier is spent either way.
 */
export async function completeAppSignIn(
  host: AppSignInHost,
  fetcher: typeof fetch,
  url: string,
): Promise<ClientUser | null> {
  const params = new URL(url).searchParams
  const code = params.get('code')
  const failed = params.get('error')
  if (!code && !failed) return null
  const area = pendingArea()
  const raw = area.getItem(pendingKey(host))
  area.removeItem(pendingKey(host))
  if (!raw) throw new GatehouseClientError('NO_PENDING_SIGN_IN', 'No sign-in was started in this tab.')
  if (failed) throw new GatehouseClientError(failed, params.get('error_description') ?? failed)
  const pending = JSON.parse(raw) as Pending
  const res = await fetcher(host.url('/api/auth/oauth/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, code_verifier: pending.verifier }),
    credentials: 'omit',
  })
  if (!res.ok) throw await errorFrom(res)
  return host.acceptTokens(await res.json())
}

/** The one-time code is spent: keep it out of the history and of bookmarks. */
export function dropCodeFromAddressBar(here: Location): void {
  const clean = new URL(here.href)
  for (const k of ['code', 'error', 'error_description']) clean.searchParams.delete(k)
  history.replaceState(history.state, '', clean.pathname + clean.search + clean.hash)
}
