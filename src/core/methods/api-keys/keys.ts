import type { ApiKeyRecord, ApiKeyStore, User } from '../../../stores/contracts.ts'
import { type Clock, systemClock } from '../../clock.ts'
import { equalSha256Hex, randomBase62, sha256Hex } from '../../crypto/random.ts'
import { AuthError } from '../../errors.ts'
import { toStoreError } from '../../store-guard.ts'

/**
 * API keys for service-to-service calls: `<prefix><id>_<secret>`, e.g.
 * `gh_4f9Kd0QmZ2pXv7Lb_Tq…` — a fixed prefix so secret scanners can match leaked keys, a
 * public id (16 base62 chars) to find the record in one lookup, and a 32-char base62 secret
 * (~190 bits) of which only the SHA-256 is stored. The full key is returned once, at
 * creation. A revoked key is deleted; an expired key or one whose owner is inactive fails.
 */
export type PublicApiKey = Omit<ApiKeyRecord, 'keyHash'>

export interface ApiKeyFormat {
  /** Default "gh_". Letters and digits, ending in "_". */
  prefix?: string
}

export interface CreateApiKeyInput extends ApiKeyFormat {
  name: string
  scopes?: string[]
  /** Milliseconds since the epoch; null (default) never expires. */
  expiresAt?: number | null
  clock?: Clock
  /** Unexpired keys the user may hold (the server passes `tokens.maxApiKeysPerUser`); none when absent. */
  maxPerUser?: number
}

const ID_LENGTH = 16
const SECRET_LENGTH = 32
const PREFIX = /^[A-Za-z][A-Za-z0-9]{0,15}_$/
const BODY = new RegExp(`^([A-Za-z0-9]{${ID_LENGTH}})_([A-Za-z0-9]{${SECRET_LENGTH}})$`)
const SCOPE = /^[A-Za-z0-9:._*-]{1,64}$/
/** Compared against when the id is unknown, so a miss costs the same as a wrong secret. */
const DUMMY_HASH = sha256Hex('gatehouse:no-such-api-key')
/** lastUsedAt is written at most this often per key, not on every request. */
const TOUCH_INTERVAL_MS = 60_000

function prefixOf(format: ApiKeyFormat): string {
  const prefix = format.prefix ?? 'gh_'
  if (!PREFIX.test(prefix))
    throw new AuthError('CONFIG_INVALID', { message: 'apiKeys.prefix: letters/digits ending in "_"' })
  return prefix
}

function toPublic({ keyHash: _hash, ...rest }: ApiKeyRecord): PublicApiKey {
  return { ...rest, scopes: [...rest.scopes] }
}

export async function createApiKey(
  store: ApiKeyStore,
  userId: string,
  input: CreateApiKeyInput,
): Promise<{ key: string; record: PublicApiKey }> {
  const prefix = prefixOf(input)
  const now = (input.clock ?? systemClock)()
  const fields: Record<string, string> = {}
  const name = typeof input.name === 'string' ? input.name.trim() : ''
  if (!name || name.length > 100) fields.name = 'A name of 1 to 100 characters is required.'
  const scopes = input.scopes ?? []
  if (
    !Array.isArray(scopes) ||
    scopes.length > 32 ||
    !scopes.every((s) => typeof s === 'string' && SCOPE.test(s))
  ) {
    fields.scopes = 'Scopes are up to 32 names of letters, digits and : . _ * -'
  }
  const expiresAt = input.expiresAt ?? null
  if (expiresAt !== null && (!Number.isFinite(expiresAt) || expiresAt <= now))
    fields.expiresAt = 'The expiry must be in the future.'
  if (Object.keys(fields).length > 0) throw new AuthError('VALIDATION_FAILED', { fields })
  if (input.maxPerUser !== undefined) {
    // Bounds what one account (or a stolen session) can pile up. Two concurrent creations
    // may pass this check together; the bound is a budget, not an invariant.
    const live = (await store.listApiKeys(userId)).filter((k) => k.expiresAt === null || k.expiresAt > now)
    if (live.length >= input.maxPerUser) throw new AuthError('API_KEY_LIMIT')
  }

  const id = randomBase62(ID_LENGTH)
  const secret = randomBase62(SECRET_LENGTH)
  const record: ApiKeyRecord = {
    id,
    userId,
    name,
    keyHash: sha256Hex(secret),
    scopes: [...new Set(scopes)],
    createdAt: now,
    expiresAt,
    lastUsedAt: null,
  }
  await store.createApiKey(record)
  return { key: `${prefix}${id}_${secret}`, record: toPublic(record) }
}

/** The key's record and owner, or AuthError('TOKEN_INVALID') — one answer for every failure. */
export async function verifyApiKey(
  store: ApiKeyStore,
  key: unknown,
  clock: Clock = systemClock,
  format: ApiKeyFormat = {},
): Promise<{ key: PublicApiKey; user: User }> {
  const prefix = prefixOf(format)
  const match = typeof key === 'string' && key.startsWith(prefix) ? BODY.exec(key.slice(prefix.length)) : null
  if (!match) throw new AuthError('TOKEN_INVALID')
  const [, id, secret] = match as unknown as [string, string, string]
  let found: Awaited<ReturnType<ApiKeyStore['getApiKeyWithUser']>>
  try {
    found = await store.getApiKeyWithUser(id)
  } catch (cause) {
    throw toStoreError(cause)
  }
  const hashMatches = equalSha256Hex(sha256Hex(secret), found?.key.keyHash ?? DUMMY_HASH)
  const now = clock()
  if (!found || !hashMatches) throw new AuthError('TOKEN_INVALID')
  if (found.key.expiresAt !== null && found.key.expiresAt <= now) throw new AuthError('TOKEN_INVALID')
  if (!found.user.active) throw new AuthError('TOKEN_INVALID')
  if (found.key.lastUsedAt === null || now - found.key.lastUsedAt >= TOUCH_INTERVAL_MS) {
    // Bookkeeping only: never delays or fails the request.
    store.touchApiKey(id, now).catch(() => {})
  }
  return { key: toPublic(found.key), user: found.user }
}

/** The user's keys without their hashes, oldest first. */
export async function listApiKeys(store: ApiKeyStore, userId: string): Promise<PublicApiKey[]> {
  return (await store.listApiKeys(userId)).map(toPublic)
}

/** Deletes a key of this user; false when no such key belongs to them. */
export function revokeApiKey(store: ApiKeyStore, userId: string, id: string): Promise<boolean> {
  return store.deleteApiKey(userId, id)
}

/** True when the key carries every scope asked for. */
export function hasScopes(key: Pick<ApiKeyRecord, 'scopes'>, ...required: string[]): boolean {
  return required.every((s) => key.scopes.includes(s))
}
