import { createHash, randomBytes } from 'node:crypto'
import type { KeyValueStore } from '../stores/contracts.ts'
import type { Clock } from './clock.ts'

/** What a one-time token may be used for; a token minted for one purpose never serves another. */
export type TokenPurpose =
  | 'password-reset'
  | 'email-verify'
  | 'device-unlock'
  | (keyof ModuleTokenPurposes & string)

/**
 * Purposes of modules' one-time tokens, by declaration merging (`interface ModuleTokenPurposes
 * { 'magic-link': true }`); the module declares them in `tokenPurposes` too (module.ts), so
 * two modules cannot share one.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface ModuleTokenPurposes {}

/** What a live token stands for. */
export interface TokenEntry {
  userId: string
  /**
   * Set at issue time by the caller to a value derived from the user's state (a reset link
   * carries a stamp of the password hash); the caller compares it when the token is used.
   */
  bind?: string
}

interface Entry extends TokenEntry {
  expiresAt: number
}

/**
 * Single-use, expiring, purpose-bound tokens for reset and verification links. The link
 * carries 256 random bits; the store keeps only SHA-256 of them under a key that names the
 * purpose, so a leaked store yields no usable link and a verification token is no reset token.
 */
export class OneTimeTokens {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly clock: Clock,
  ) {}

  async issue(purpose: TokenPurpose, userId: string, ttlSeconds: number, bind?: string): Promise<string> {
    const token = randomBytes(32).toString('base64url')
    const entry: Entry = {
      userId,
      expiresAt: this.clock() + ttlSeconds * 1000,
      ...(bind === undefined ? {} : { bind }),
    }
    await this.kv.set(key(purpose, token), JSON.stringify(entry), ttlSeconds)
    return token
  }

  /** The user a still-valid token belongs to, without spending it (to show the reset form). */
  async peek(purpose: TokenPurpose, token: unknown): Promise<string | null> {
    return (await this.peekEntry(purpose, token))?.userId ?? null
  }

  /** Spends the token atomically: of two concurrent uses, one wins. */
  async consume(purpose: TokenPurpose, token: unknown): Promise<string | null> {
    return (await this.consumeEntry(purpose, token))?.userId ?? null
  }

  /** peek, with the value bound at issue time. */
  async peekEntry(purpose: TokenPurpose, token: unknown): Promise<TokenEntry | null> {
    if (!wellFormed(token)) return null
    return this.#check(await this.kv.get(key(purpose, token)))
  }

  /** consume, with the value bound at issue time. */
  async consumeEntry(purpose: TokenPurpose, token: unknown): Promise<TokenEntry | null> {
    if (!wellFormed(token)) return null
    return this.#check(await this.kv.take(key(purpose, token)))
  }

  #check(raw: string | null): TokenEntry | null {
    if (!raw) return null
    const entry = JSON.parse(raw) as Entry
    if (this.clock() >= entry.expiresAt) return null
    return { userId: entry.userId, ...(entry.bind === undefined ? {} : { bind: entry.bind }) }
  }
}

function wellFormed(token: unknown): token is string {
  return typeof token === 'string' && /^[A-Za-z0-9_-]{43}$/.test(token)
}

function key(purpose: TokenPurpose, token: string): string {
  return `ott:${purpose}:${createHash('sha256').update(token).digest('hex')}`
}

/**
 * The link a mail carries: `path` on the configured public URL (never the Host header), with
 * `?token=`. A public URL with a path (routes mounted under a prefix) keeps it: the path goes after it.
 */
export function tokenLink(publicUrl: string, path: string, token: string): string {
  const base = new URL(publicUrl)
  const url = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base)
  url.searchParams.set('token', token)
  return url.toString()
}
