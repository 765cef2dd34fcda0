import type { User } from '../stores/contracts.ts'
import type { Auth, StartedSession } from './auth.ts'
import type { RequestContext } from './context.ts'
import { AuthError } from './errors.ts'
import type { PendingChallenge, Proof } from './module.ts'
import type { TokenPair } from './tokens/service.ts'

/** What the caller wants issued once the identity is proven: a session cookie, or a token pair. */
export type Transport = { kind: 'session'; remember?: boolean; replaces?: string | null } | { kind: 'tokens' }

export type SignInResult =
  | { status: 'signed-in'; user: User; session: StartedSession; tokens?: undefined }
  | { status: 'signed-in'; user: User; tokens: TokenPair; session?: undefined }
  /** A hook (a second factor) holds the sign-in; nothing was issued. */
  | { status: 'pending'; user: User; challenge: PendingChallenge }

/**
 * The one sign-in pipeline. A method only proves an identity (`proof`); here alone the
 * gates are applied — the account is active, its address verified when verification is
 * required, then each module's `challenge` hook (a second factor returns a pending
 * challenge instead of a session) — and then the transport's credential is issued and the
 * login recorded. Pages, the JSON API and every sign-in method go through it.
 */
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
  for (const hooks of auth.modules.hooks) await hooks.signedIn?.(proof, ctx)
  return result
}
