import type { Context } from 'hono'
import { AuthError } from '../core/errors.ts'
import type { Proof } from '../core/module.ts'
import { signIn } from '../core/signin.ts'

/**
 * The pages' end of the sign-in pipeline: the proven identity gets a session cookie (the
 * pipeline applies the gates — active, email verified — and the modules' hooks).
 */
export async function signInWithSession(c: Context, proof: Proof, options: { remember?: boolean } = {}) {
  const result = await signIn(
    c.get('auth'),
    proof,
    { kind: 'session', remember: options.remember === true },
    c.get('gatehouseContext'),
  )
  // No built-in method holds a sign-in; a second-factor module brings its own page for it.
  if (result.status === 'pending')
    throw new AuthError('FORBIDDEN', { message: 'This sign-in needs another step.' })
  for (const cookie of result.session.cookies) c.header('set-cookie', cookie, { append: true })
  c.set('user', result.user)
  c.set('session', result.session.session)
  return result
}
