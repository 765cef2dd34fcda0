import type { Redis } from 'ioredis'
import type { Clock } from '../clock.ts'
import type { SessionRecord, SessionStore, User, UserStore } from '../contracts.ts'
import type { RedisKeys } from './keys.ts'
import { LuaScript } from './lua.ts'

/*
 * A session is one hash (`session:<id>`) that expires with the session; each user has a
 * set of their session ids (`user-sessions:<userId>`) so list/delete-all never SCAN.
 * The set lives as long as its longest-lived session. Scripts build the set's key from a
 * prefix inside Lua, which Redis Cluster does not allow: this targets a single Redis.
 */

const CREATE = new LuaScript(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
`)

const TOUCH = new LuaScript(`
local fields = redis.call('HMGET', KEYS[1], 'userId', 'absoluteExpiresAt')
if not fields[1] then return 0 end
redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[1], 'expiresAt', ARGV[2])
local ttl = math.max(1, math.min(tonumber(ARGV[2]), tonumber(fields[2])) - tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ttl)
local set = ARGV[4] .. fields[1]
if redis.call('PTTL', set) < ttl then redis.call('PEXPIRE', set, ttl) end
return 1
`)

// Only an existing session takes data: a write after logout must not bring the hash back.
const SET_DATA = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '' then redis.call('HDEL', KEYS[1], 'data') else redis.call('HSET', KEYS[1], 'data', ARGV[1]) end
return 1
`)

const DELETE = new LuaScript(`
local userId = redis.call('HGET', KEYS[1], 'userId')
redis.call('DEL', KEYS[1])
if userId then redis.call('SREM', ARGV[1] .. userId, ARGV[2]) end
`)

const DELETE_ALL = new LuaScript(`
local deleted = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= ARGV[2] then
    deleted = deleted + redis.call('DEL', ARGV[1] .. id)
    redis.call('SREM', KEYS[1], id)
  end
end
return deleted
`)

function toHash(s: SessionRecord): string[] {
  const fields: [string, string | number | null][] = [
    ['id', s.id],
    ['secretHash', s.secretHash],
    ['userId', s.userId],
    ['createdAt', s.createdAt],
    ['lastSeenAt', s.lastSeenAt],
    ['expiresAt', s.expiresAt],
    ['absoluteExpiresAt', s.absoluteExpiresAt],
    ['remember', s.remember ? 1 : 0],
    ['ip', s.ip],
    ['userAgent', s.userAgent],
    ['data', s.dataJson ?? null],
  ]
  // A missing field reads back as null.
  return fields.filter(([, v]) => v !== null).flatMap(([k, v]) => [k, String(v)])
}

function fromHash(h: Record<string, string>, withData = false): SessionRecord | null {
  if (!h.id || !h.userId) return null
  const session: SessionRecord = {
    id: h.id,
    secretHash: h.secretHash ?? '',
    userId: h.userId,
    createdAt: Number(h.createdAt),
    lastSeenAt: Number(h.lastSeenAt),
    expiresAt: Number(h.expiresAt),
    absoluteExpiresAt: Number(h.absoluteExpiresAt),
    remember: h.remember === '1',
    ip: h.ip ?? null,
    userAgent: h.userAgent ?? null,
  }
  if (withData && h.data !== undefined) session.dataJson = h.data
  return session
}

export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** Users live in SQL; the session's owner is read from there. */
    private readonly users: UserStore,
    private readonly clock: Clock,
  ) {}

  async createSession(session: SessionRecord): Promise<void> {
    const ttl = Math.max(1, Math.min(session.expiresAt, session.absoluteExpiresAt) - this.clock())
    await CREATE.run(
      this.redis,
      [this.keys.session(session.id), this.keys.userSessions(session.userId)],
      [ttl, session.id, ...toHash(session)],
    )
  }

  /**
   * One Redis round trip (HGETALL) plus one user query (users ⋈ roles ⋈ permissions).
   * A session whose user is gone reads as absent.
   */
  async getSessionWithUser(id: string): Promise<{ session: SessionRecord; user: User } | null> {
    const session = fromHash(await this.redis.hgetall(this.keys.session(id)), true)
    if (!session) return null
    const user = await this.users.getUserById(session.userId)
    return user ? { session, user } : null
  }

  async touchSession(id: string, lastSeenAt: number, expiresAt: number): Promise<void> {
    await TOUCH.run(
      this.redis,
      [this.keys.session(id)],
      [lastSeenAt, expiresAt, this.clock(), this.keys.userSessionsPrefix],
    )
  }

  async setSessionData(id: string, dataJson: string | null): Promise<void> {
    await SET_DATA.run(this.redis, [this.keys.session(id)], [dataJson ?? ''])
  }

  async deleteSession(id: string): Promise<void> {
    await DELETE.run(this.redis, [this.keys.session(id)], [this.keys.userSessionsPrefix, id])
  }

  async deleteUserSessions(userId: string, exceptId?: string): Promise<number> {
    const deleted = await DELETE_ALL.run(
      this.redis,
      [this.keys.userSessions(userId)],
      [this.keys.sessionPrefix, exceptId ?? ''],
    )
    return Number(deleted)
  }

  async listUserSessions(userId: string): Promise<SessionRecord[]> {
    const setKey = this.keys.userSessions(userId)
    const ids = await this.redis.smembers(setKey)
    if (ids.length === 0) return []
    const pipeline = this.redis.pipeline()
    for (const id of ids) pipeline.hgetall(this.keys.session(id))
    const replies = (await pipeline.exec()) ?? []
    const sessions: SessionRecord[] = []
    const gone: string[] = []
    replies.forEach(([error, hash], i) => {
      if (error) throw error
      const session = fromHash(hash as Record<string, string>)
      if (session) sessions.push(session)
      else gone.push(ids[i]!)
    })
    // Sessions that expired on their own leave their id behind; tidy up while we are here.
    if (gone.length > 0) await this.redis.srem(setKey, ...gone)
    return sessions.sort((a, b) => b.lastSeenAt - a.lastSeenAt || b.createdAt - a.createdAt)
  }
}
