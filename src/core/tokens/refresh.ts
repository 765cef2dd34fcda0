import { createHmac } from 'node:crypto'
import type { KeyValueStore } from '../../stores/contracts.ts'
import type { Clock } from '../clock.ts'
import { constantTimeEqual, randomToken } from '../crypto/random.ts'
import type { SecretBox } from '../crypto/secretbox.ts'
import { AuthError } from '../errors.ts'
import { revokeTokenId } from './revocation.ts'

/**
 * Opaque refresh tokens `<familyId>.<n>.<tag>`: a login starts a family (128-bit random
 * id, absolute end); its n-th token carries tag = HMAC-SHA256(refresh key, "<familyId>.<n>"),
 * the key derived from the server secret. Every redemption spends token n (atomic `take`)
 * and hands out n+1.
 *
 * Because the tag proves a token was issued by us, a spent token is recognised from the
 * family's counter alone: nothing secret is stored (a leaked store yields no usable token)
 * and storage per family stays constant however often it rotates — no per-token "spent"
 * records piling up for 30 days. A forged token never touches the store, so it cannot be
 * used to revoke someone's family.
 *
 * KV keys, all expiring with the family:
 * - `tok:fam:<id>`       user, absolute end, token generation. Written once and never
 *                        rewritten, so a revocation (delete) cannot be undone by a rotation
 *                        running at the same time.
 * - `tok:rt:<id>:<n>`    present while token n is live; `take` spends it.
 * - `tok:last:<id>`      the newest token number, its access token id/expiry, when it was
 *                        issued (and the sealed pair, with a grace window).
 *
 * Presenting token n that is no longer live, with newest N:
 * - n = N: its redemption is in flight (a concurrent duplicate) → TOKEN_INVALID, family kept;
 * - n = N-1 within the grace window → the same successor pair again;
 * - otherwise it was spent earlier: reuse → the family is revoked (TOKEN_REUSED).
 */
export interface RefreshContext {
  kv: KeyValueStore
  clock: Clock
  /** Absolute family lifetime, seconds. */
  ttl: number
  /** Seconds during which the previous token returns its successor pair again (0: never). */
  grace: number
  /** Access leeway, seconds (revocation entries outlive the token by this much). */
  leeway: number
  /** HMAC key for the tags (derived from the server secret). */
  macKey: Uint8Array
  /** Keys of previous secrets: their tags still verify (rotation), new tags use macKey. */
  previousMacKeys?: readonly Uint8Array[]
  /** Seals the successor pair kept for the grace window. */
  box: SecretBox
}

export interface Family {
  id: string
  userId: string
  generation: string | null
  /** Absolute end, ms. */
  expiresAt: number
}

interface FamilyRecord {
  u: string
  x: number
  g: string | null
}

interface LatestRecord {
  /** newest token number */
  n: number
  /** its access token's jti and exp */
  j: string
  e: number
  /** issued at, ms */
  at: number
  /** sealed successor pair (only with a grace window) */
  next?: string
}

const key = {
  family: (id: string) => `tok:fam:${id}`,
  live: (id: string, n: number) => `tok:rt:${id}:${n}`,
  latest: (id: string) => `tok:last:${id}`,
}

const FORMAT = /^([A-Za-z0-9_-]{22})\.([1-9][0-9]{0,8})\.([A-Za-z0-9_-]{43})$/

function tag(ctx: RefreshContext, familyId: string, n: number, key = ctx.macKey): string {
  return createHmac('sha256', key).update(`${familyId}.${n}`).digest('base64url')
}

export function refreshToken(ctx: RefreshContext, familyId: string, n: number): string {
  return `${familyId}.${n}.${tag(ctx, familyId, n)}`
}

/** Family and number of a token we issued; null for anything else (a JWT, garbage, a forged tag). */
export function parseRefreshToken(
  ctx: RefreshContext,
  token: unknown,
): { familyId: string; n: number } | null {
  const m = typeof token === 'string' ? FORMAT.exec(token) : null
  if (!m) return null
  const [, familyId, num, given] = m as unknown as [string, string, string, string]
  const n = Number(num)
  const keys = [ctx.macKey, ...(ctx.previousMacKeys ?? [])]
  return keys.some((k) => constantTimeEqual(given, tag(ctx, familyId, n, k))) ? { familyId, n } : null
}

function parse<T>(raw: string | null): T | null {
  if (raw === null) return null
  try {
    return JSON.parse(raw) as T
  } catch {
    return null
  }
}

function remaining(ctx: RefreshContext, family: Family): number {
  return Math.max(1, Math.ceil((family.expiresAt - ctx.clock()) / 1000))
}

/** The family if it is neither revoked nor past its absolute end. */
export async function loadFamily(ctx: RefreshContext, id: string): Promise<Family | null> {
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

/** Makes token n of the family live and returns it (it is never stored). */
export async function issueToken(ctx: RefreshContext, family: Family, n: number): Promise<string> {
  await ctx.kv.set(key.live(family.id, n), '1', remaining(ctx, family))
  return refreshToken(ctx, family.id, n)
}

/** Records token n as the family's newest, with its access token (revoked with the family). */
export async function recordLatest(
  ctx: RefreshContext,
  family: Family,
  latest: { n: number; jti: string; exp: number; sealedPair?: string },
): Promise<void> {
  const rec: LatestRecord = { n: latest.n, j: latest.jti, e: latest.exp, at: ctx.clock() }
  if (latest.sealedPair && ctx.grace > 0) rec.next = latest.sealedPair
  await ctx.kv.set(key.latest(family.id), JSON.stringify(rec), remaining(ctx, family))
}

export type Redemption =
  /** This caller spent token n and must issue n+1. */
  | { kind: 'rotate'; family: Family; n: number }
  /** A retry within the grace window: the sealed successor pair, handed out again. */
  | { kind: 'replay'; sealedPair: string }
  /** A spent token came back (stolen?): the family is revoked; `userId` is its owner when known. */
  | { kind: 'reused'; userId: string | null }

/** Spends a refresh token. Of concurrent redemptions exactly one gets `rotate` (the store's atomic take). */
export async function redeem(ctx: RefreshContext, token: unknown): Promise<Redemption> {
  const parsed = parseRefreshToken(ctx, token)
  if (!parsed) throw new AuthError('TOKEN_INVALID')
  const { familyId, n } = parsed
  if ((await ctx.kv.take(key.live(familyId, n))) === null) return notLive(ctx, familyId, n)
  const family = await loadFamily(ctx, familyId)
  if (!family) throw new AuthError('TOKEN_INVALID')
  return { kind: 'rotate', family, n }
}

async function notLive(ctx: RefreshContext, familyId: string, n: number): Promise<Redemption> {
  const latest = parse<LatestRecord>(await ctx.kv.get(key.latest(familyId)))
  // Family revoked or expired (nothing left to protect), or token n is being redeemed right now.
  if (!latest || n >= latest.n) throw new AuthError('TOKEN_INVALID')
  const inGrace = n === latest.n - 1 && latest.next && ctx.clock() - latest.at <= ctx.grace * 1000
  const family = await loadFamily(ctx, familyId)
  if (inGrace && family) return { kind: 'replay', sealedPair: latest.next! }
  await revokeFamily(ctx, familyId)
  return { kind: 'reused', userId: family?.userId ?? null }
}

/** Ends a family: no token of it refreshes again, and its newest access token is revoked. */
export async function revokeFamily(ctx: RefreshContext, familyId: string): Promise<void> {
  await ctx.kv.delete(key.family(familyId))
  const latest = parse<LatestRecord>(await ctx.kv.take(key.latest(familyId)))
  if (latest) {
    await ctx.kv.delete(key.live(familyId, latest.n))
    await revokeTokenId(ctx.kv, latest.j, latest.e - ctx.clock() / 1000 + ctx.leeway)
  }
}
