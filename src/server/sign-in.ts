import type { Context } from 'hono'
import type { Proof } from '../core/module.ts'
import { startSignedInSession } from '../core/signin.ts'

/**
 * The server's end of the sign-in pipeline: the proven identity gets a session cookie (the
 * pipeline applies the gates — active, email verified — and the modules' hooks).
 */
export async function signInWithSession(c: Context, proof: Proof, options: { remember?: boolean } = {}) {
  const started = await startSignedInSession(c.get('auth'), proof, options, c.get('gatehouseContext'))
  for (const cookie of started.cookies) c.header('set-cookie', cookie, { append: true })
  c.set('user', proof.user)
  c.set('session', started.session)
  return started
}
