import type { Context } from 'hono'
import { expiredCookie, readCookie, serializeCookie } from '../../core/cookies.ts'

/** A one-shot message shown on the next page (after a redirect). */
export interface Flash {
  type: 'success' | 'error' | 'info'
  text: string
}

const TYPES = new Set<Flash['type']>(['success', 'error', 'info'])
const MAX_TEXT = 300

function cookieName(c: Context): string {
  return c.get('auth')?.options.secure ? '__Host-gh_flash' : 'gh_flash'
}

function secure(c: Context): boolean {
  return c.get('auth')?.options.secure === true
}

/** Where a signed-in browser's flash waits: its session's data (nothing for an attacker to plant). */
const FLASH_KEY = 'gatehouse:flash'

/**
 * Sets the flash message: in the session's data when signed in, else in a cookie (HttpOnly,
 * SameSite=Lax, Path=/, base64url JSON, one minute).
 */
export function setFlash(c: Context, type: Flash['type'], text: string): void {
  const session = c.get('session')
  if (session) {
    session.data.set(FLASH_KEY, { type, text: text.slice(0, MAX_TEXT) })
    return
  }
  const value = Buffer.from(JSON.stringify({ type, text: text.slice(0, MAX_TEXT) })).toString('base64url')
  c.header('set-cookie', serializeCookie(cookieName(c), value, { maxAge: 60, secure: secure(c) }), {
    append: true,
  })
}

/**
 * Reads the flash cookie (set by us, but still client input: validated, rendered escaped)
 * and clears it on this response. Returns null when there is none or it is malformed.
 */
export function takeFlash(c: Context): Flash | null {
  const stored = c.get('session')?.data.take(FLASH_KEY)
  if (stored !== undefined) return validFlash(stored)
  const name = cookieName(c)
  const raw = readCookie(c.req.header('cookie'), name)
  if (raw === undefined) return null
  c.header('set-cookie', expiredCookie(name, { secure: secure(c) }), { append: true })
  if (raw.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(raw)) return null
  try {
    return validFlash(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')))
  } catch {
    return null
  }
}

function validFlash(value: unknown): Flash | null {
  if (typeof value !== 'object' || value === null) return null
  const { type, text } = value as Record<string, unknown>
  if (typeof type !== 'string' || !TYPES.has(type as Flash['type']) || typeof text !== 'string') return null
  return { type: type as Flash['type'], text: text.slice(0, MAX_TEXT) }
}
