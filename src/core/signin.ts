import type { User } from '../stores/contracts.ts'
import type { Auth, StartedSession } from './auth.ts'
import type { RequestContext } from './context.ts'
import { AuthError } from './errors.ts'
import type { PendingChallenge, Proof } from './module.ts'
import type { TokenPair } from './tokens/service.ts'

/** What the caller wants issued once the identity is proven: a session cookie, or a token pair. */
export type SessionTransport = { kind: 'session'; remember?: boolean; replaces?: string | null }
export type TokensTransport = { kind: 'tokens' }
export type Transport = SessionTransport | TokensTransport

/** A hook (a second factor) holds the sign-in; nothing was issued. */
export type Pending = { status: 'pending'; user: User; challenge: PendingChallenge }
export type SignedInWithSession = { status: 'signed-in'; user: User; session: StartedSession }
export type SignedInWithTokens = { status: 'signed-in'; user: User; tokens: TokenPair }
export type SignInResult = SignedInWithSession | SignedInWithTokens | Pending

/** The JSON answer for a held sign-in: 202 `{status: "pending", challenge: kind, ...data}`. */
export function pendingJson(challenge: PendingChallenge): Record<string, unknown> {
  return { status: 'pending', challenge: challenge.kind, ...challenge.data }
}

/**
 * The one sign-in pipeline. A method only proves an identity (`proof`); here alone the
 * gates are applied — the account is active, its address verified when verification is
 * required, then each module's `challenge` hook (a second factor returns a pending
 * challenge instead of a session) — and then the transport's credential is issued and the
 * login recorded. Pages, the JSON API and every sign-in method go through it.
 */
export function signIn(
  auth: Auth,
  proof: Proof,
  transport: SessionTransport,
  ctx?: Partial<RequestContext>,
): Promise<SignedInWithSession | Pending>
export function signIn(
  auth: Auth,
  proof: Proof,
  transport: TokensTransport,
  ctx?: Partial<RequestContext>,
): Promise<SignedInWithTokens | Pending>
export async function signIn(
  auth: Auth,
  proof: Proof,
  transport: Transport,
  ctx: Partial<RequestContext> = {},
): Promise<SignInResult> {
  const { user } = proof
  if (!user.active) throw new AuthError('ACCOUNT_DISABLED')
  if (auth.options.emailVerification === 'required' && !user.emailVerified)
    throw new AuthError('EMAIL_NOT_VERIFIED')
  for (const hooks of auth.modules.hooks) {
    const challenge = await hooks.challenge?.(proof, ctx)
    if (challenge) return { status: 'pending', user, challenge }
  }
  let result: SignInResult
  if (transport.kind === 'session') {
    const session = await auth.startSession(
      user,
      { remember: transport.remember === true, replaces: transport.replaces ?? null },
      ctx,
    )
    result = { status: 'signed-in', user, session }
  } else {
    if (!auth.tokens) throw new AuthError('NOT_FOUND')
    const tokens = await auth.tokens.issuePair(user, { fresh: true })
    await auth.recordLogin(user, ctx)
    result = { status: 'signed-in', user, tokens }
  }
  // The credential is issued: a failing hook is logged, never turned into a lost sign-in.
  for (const hooks of auth.modules.hooks) {
    try {
      await hooks.signedIn?.(proof, ctx)
    } catch (error) {
      auth.options.logger.warn(`signedIn hook failed: ${(error as Error)?.message ?? String(error)}`)
    }
  }
  return result
}

/**
 * The pipeline with a session cookie, for callers that have no page for a held sign-in:
 * the adapters' `login()` (Flask-Login's login_user: the app proved the identity, the gates
 * still apply), the server's pages and `auth.login`. A module holding the sign-in (a second
 * factor) must be answered through `signIn` instead; here it is refused.
 */
export async function startSignedInSession(
  auth: Auth,
  proof: Proof,
  options: { remember?: boolean },
  ctx: Partial<RequestContext>,
): Promise<StartedSession> {
  const result = await signIn(auth, proof, { kind: 'session', remember: options.remember === true }, ctx)
  if (result.status === 'pending')
    throw new AuthError('FORBIDDEN', { message: 'This sign-in needs another step.' })
  return result.session
}
