import type { KeyValueStore } from '../../stores/contracts.ts'
import type { Clock } from '../clock.ts'
import { randomToken, sha256Hex } from '../crypto/random.ts'
import type { SecretBox } from '../crypto/secretbox.ts'
import { AuthError } from '../errors.ts'
import { revokeTokenId } from './revocation.ts'

/**
 * Opaque refresh tokens `<familyId>.<secret>` (128 + 256 bits), stored only as SHA-256 in
 * the KV store. A login starts a family with an absolute end; every redemption spends the
 * token (atomic `take`) and hands out its successor in the same family.
 *
 * KV keys (all expire with the family):
 * - `tok:rt:<hash>`     a live token → its family
 * - `tok:fam:<id>`      the family: user, absolute end, token generation. Written once and
 *                       never rewritten, so deleting it (revocation) cannot be undone by a
 *                       rotation running at the same time.
 * - `tok:spent:<hash>`  a spent token: "rotating" while its redemption is in flight, "done"
 *                       after. Presenting a "done" token again is reuse → the family dies.
 * - `tok:last:<id>`     the family's newest token and access-token id, so a revocation also
 *                       kills the tokens the winner of a theft race holds.
 */
export interface RefreshContext {
  kv: KeyValueStore
  clock: Clock
  /** Absolute family lifetime, seconds. */
  ttl: number
  /** Seconds during which a spent token returns its successor pair again (0: never). */
  grace: number
  /** Access leeway, seconds (revocation entries outlive the token by this much). */
  leeway: number
  /** Seals the successor pair kept for the grace window. */
  box: SecretBox
}

interface FamilyRecord {
  /** user id */
  u: string
  /** absolute end, ms */
  x: number
  /** token generation at login */
  g: string | null
}

interface SpentRecord {
  f: string
  at: number
  s: 'rotating' | 'done'
  /** Sealed successor pair (only with a grace window). */
  next?: string
}

interface LatestRecord {
  h: string
  j: string
  e: number
}

const key = {
  token: (hash: string) => `tok:rt:${hash}`,
  family: (id: string) => `tok:fam:${id}`,
  spent: (hash: string) => `tok:spent:${hash}`,
  latest: (id: string) => `tok:last:${id}`,
}

const FORMAT = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/

/** The storage hash of a well-formed refresh token; null for anything else (a JWT, garbage). */
export function refreshTokenHash(token: unknown): string | null {
  return typeof token === 'string' && FORMAT.test(token) ? sha256Hex(token) : null
}

function parse<T>(raw: string | null): T | null {
  if (raw === null) return null
  try {
    return JSON.parse(raw) as T
  } catch {
    return null
  }
}

export interface Family {
  id: string
  userId: string
  generation: string | null
  expiresAt: number
}

function remaining(ctx: RefreshContext, family: Family): number {
  return Math.max(1, Math.ceil((family.expiresAt - ctx.clock()) / 1000))
}

async function loadFamily(ctx: RefreshContext, id: string): Promise<Family | null> {
  const rec = parse<FamilyRecord>(await ctx.kv.get(key.family(id)))
  if (!rec || rec.x <= ctx.clock()) return null
  return { id, userId: rec.u, generation: rec.g, expiresAt: rec.x }
}

/** A new family for a login. */
export async function startFamily(
  ctx: RefreshContext,
  userId: string,
  generation: string | null,
): Promise<Family> {
  const family: Family = { id: randomToken(16), userId, generation, expiresAt: ctx.clock() + ctx.ttl * 1000 }
  const rec: FamilyRecord = { u: userId, x: family.expiresAt, g: generation }
  await ctx.kv.set(key.family(family.id), JSON.stringify(rec), ctx.ttl)
  return family
}

/** A fresh token in the family; returns it once (only its hash is kept). */
export async function addToken(
  ctx: RefreshContext,
  family: Family,
): Promise<{ token: string; hash: string }> {
  const token = `${family.id}.${randomToken(32)}`
  const hash = sha256Hex(token)
  await ctx.kv.set(key.token(hash), family.id, remaining(ctx, family))
  return { token, hash }
}

/** Remembers the family's newest refresh token and access token, for revocation. */
export async function recordLatest(
  ctx: RefreshContext,
  family: Family,
  latest: { hash: string; jti: string; exp: number },
): Promise<void> {
  const rec: LatestRecord = { h: latest.hash, j: latest.jti, e: latest.exp }
  await ctx.kv.set(key.latest(family.id), JSON.stringify(rec), remaining(ctx, family))
}

export type Redemption =
  | { kind: 'rotate'; family: Family; spentHash: string }
  /** A retry within the grace window: the sealed successor pair, handed out again. */
  | { kind: 'replay'; sealedPair: string }

/**
 * Spends a refresh token. Of concurrent redemptions exactly one gets `rotate` (the store's
 * atomic take); the others fail with TOKEN_INVALID while the winner is still rotating,
 * without touching the family. A token presented after its rotation completed is reuse:
 * the family is revoked (TOKEN_REUSED) — unless it is within the grace window, which hands
 * out the same successor pair again.
 */
export async function redeem(ctx: RefreshContext, token: unknown): Promise<Redemption> {
  const hash = refreshTokenHash(token)
  if (!hash) throw new AuthError('TOKEN_INVALID')
  const familyId = await ctx.kv.take(key.token(hash))
  if (familyId === null) return handleSpent(ctx, hash)

  // Marked at once, so a concurrent loser sees "rotating" (no revocation) rather than nothing.
  const spent: SpentRecord = { f: familyId, at: ctx.clock(), s: 'rotating' }
  await ctx.kv.set(key.spent(hash), JSON.stringify(spent), ctx.ttl)
  const family = await loadFamily(ctx, familyId)
  if (!family) throw new AuthError('TOKEN_INVALID')
  return { kind: 'rotate', family, spentHash: hash }
}

async function handleSpent(ctx: RefreshContext, hash: string): Promise<Redemption> {
  const spent = parse<SpentRecord>(await ctx.kv.get(key.spent(hash)))
  // Never issued, expired, or taken by a concurrent redemption that is still rotating.
  if (!spent || spent.s !== 'done') throw new AuthError('TOKEN_INVALID')
  if (spent.next && ctx.clock() - spent.at <= ctx.grace * 1000 && (await loadFamily(ctx, spent.f))) {
    return { kind: 'replay', sealedPair: spent.next }
  }
  await revokeFamily(ctx, spent.f)
  throw new AuthError('TOKEN_REUSED')
}

/** Marks the spent token "done" (with the sealed successor pair when a grace window is set). */
export async function finishRotation(
  ctx: RefreshContext,
  redemption: { family: Family; spentHash: string },
  sealedPair: string | null,
): Promise<void> {
  const spent: SpentRecord = { f: redemption.family.id, at: ctx.clock(), s: 'done' }
  if (sealedPair !== null && ctx.grace > 0) spent.next = sealedPair
  await ctx.kv.set(key.spent(redemption.spentHash), JSON.stringify(spent), remaining(ctx, redemption.family))
}

/** Ends a family: no token of it refreshes again, and its newest access token is revoked. */
export async function revokeFamily(ctx: RefreshContext, familyId: string): Promise<void> {
  await ctx.kv.delete(key.family(familyId))
  const latest = parse<LatestRecord>(await ctx.kv.take(key.latest(familyId)))
  if (latest) {
    await ctx.kv.delete(key.token(latest.h))
    await revokeTokenId(ctx.kv, latest.j, latest.e - ctx.clock() / 1000 + ctx.leeway)
  }
}

/** The family of a live or spent token (for logout); null when the token is unknown. */
export async function familyOf(ctx: RefreshContext, token: unknown): Promise<string | null> {
  const hash = refreshTokenHash(token)
  if (!hash) return null
  const live = await ctx.kv.get(key.token(hash))
  if (live !== null) return live
  return parse<SpentRecord>(await ctx.kv.get(key.spent(hash)))?.f ?? null
}

/** The family a redemption may continue, re-read (it may have been revoked meanwhile). */
export function familyAlive(ctx: RefreshContext, familyId: string): Promise<Family | null> {
  return loadFamily(ctx, familyId)
}
