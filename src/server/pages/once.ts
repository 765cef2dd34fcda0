import type { Context } from 'hono'
import type { Auth } from '../../core/auth.ts'
import { createSecretBox, type SecretBox } from '../../core/crypto/secretbox.ts'

/**
 * A value shown once on the page a POST redirects to (POST/redirect/GET), e.g. a new API key:
 * kept in the key-value store under the session's id, sealed with the server secret, five
 * minutes at most, and taken (read and deleted in one step) by the first GET that shows it.
 * Never in a URL or a cookie; a reload shows it no more.
 */
const TTL_SECONDS = 300
const boxes = new WeakMap<Auth, SecretBox>()

function box(auth: Auth): SecretBox {
  let b = boxes.get(auth)
  if (!b) {
    b = createSecretBox(auth.options.secret, 'page-once')
    boxes.set(auth, b)
  }
  return b
}

function keyOf(c: Context, name: string): string | null {
  const session = c.get('session')
  return session ? `page-once:${name}:${session.id}` : null
}

export async function stashOnce(c: Context, auth: Auth, name: string, value: unknown): Promise<void> {
  const key = keyOf(c, name)
  if (key) await auth.stores.kv.set(key, box(auth).seal(JSON.stringify(value)), TTL_SECONDS)
}

export async function takeOnce<T>(c: Context, auth: Auth, name: string): Promise<T | null> {
  const key = keyOf(c, name)
  const sealed = key ? await auth.stores.kv.take(key) : null
  if (!sealed) return null
  try {
    return JSON.parse(box(auth).open(sealed)) as T
  } catch {
    return null
  }
}
