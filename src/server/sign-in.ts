import type { Context } from 'hono'
import type { StartedSession } from '../core/auth.ts'
import { AuthError } from '../core/errors.ts'
import { passwordProof } from '../core/methods/password/password-method.ts'
import type { Proof } from '../core/module.ts'
import { signIn, startSignedInSession } from '../core/signin.ts'
import type { User } from '../stores/contracts.ts'

/**
 * The server's end of the sign-in pipeline: the proven identity gets a session cookie (the
 * pipeline applies the gates — active, email verified — and the modules' hooks).
 */
function setSession(c: Context, user: User, started: StartedSession): void {
  for (const cookie of started.cookies) c.header('set-cookie', cookie, { append: true })
  c.set('user', user)
  c.set('session', c.get('auth').liveSession(started.session))
}

export async function signInWithSession(c: Context, proof: Proof, options: { remember?: boolean } = {}) {
  const started = await startSignedInSession(c.get('auth'), proof, options, c.get('gatehouseContext'))
  setSession(c, proof.user, started)
  return started
}

/**
 * Sign-up signs in when the gates allow it now. The account exists either way: with the
 * address to verify first the answer is `verify-email`, with a module holding the sign-in
 * (a second factor to set up) `pending` — then the user signs in through that step later.
 */
export async function signInAfterSignUp(
  c: Context,
  user: User,
): Promise<'signed-in' | 'verify-email' | 'pending'> {
  try {
    const result = await signIn(
      c.get('auth'),
      passwordProof(user),
      { kind: 'session' },
      c.get('gatehouseContext'),
    )
    if (result.status === 'pending') return 'pending'
    setSession(c, user, result.session)
    return 'signed-in'
  } catch (error) {
    if (error instanceof AuthError && error.code === 'EMAIL_NOT_VERIFIED') return 'verify-email'
    throw error
  }
}
