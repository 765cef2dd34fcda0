import type { Kysely } from 'kysely'
import type { ApiKeyRecord, ApiKeyStore, User } from '../contracts.ts'
import type { ApiKeysTable, Database } from './schema.ts'
import { userColumns, userFromRows } from './user-rows.ts'

const keyColumns = [
  'k.id as k_id',
  'k.user_id as k_user_id',
  'k.name as k_name',
  'k.key_hash as k_key_hash',
  'k.scopes as k_scopes',
  'k.created_at as k_created_at',
  'k.expires_at as k_expires_at',
  'k.last_used_at as k_last_used_at',
] as const

type PrefixedKey = { [K in keyof ApiKeysTable as `k_${K & string}`]: ApiKeysTable[K] }

function toKey(r: PrefixedKey): ApiKeyRecord {
  return {
    id: r.k_id,
    userId: r.k_user_id,
    name: r.k_name,
    keyHash: r.k_key_hash,
    scopes: JSON.parse(r.k_scopes) as string[],
    createdAt: Number(r.k_created_at),
    expiresAt: r.k_expires_at === null ? null : Number(r.k_expires_at),
    lastUsedAt: r.k_last_used_at === null ? null : Number(r.k_last_used_at),
  }
}

export class SqlApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createApiKey(k: ApiKeyRecord): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        id: k.id,
        user_id: k.userId,
        name: k.name,
        key_hash: k.keyHash,
        scopes: JSON.stringify(k.scopes),
        created_at: k.createdAt,
        expires_at: k.expiresAt,
        last_used_at: k.lastUsedAt,
      })
      .execute()
  }

  /** One query: the key, its owner, and the owner's roles and permissions. */
  async getApiKeyWithUser(id: string): Promise<{ key: ApiKeyRecord; user: User } | null> {
    const rows = await this.db
      .selectFrom('api_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .leftJoin('user_roles as ur', 'ur.user_id', 'u.id')
      .leftJoin('role_permissions as rp', 'rp.role', 'ur.role')
      .select([...keyColumns, ...userColumns])
      .where('k.id', '=', id)
      .execute()
    const user = userFromRows(rows)
    return rows[0] && user ? { key: toKey(rows[0]), user } : null
  }

  /** Oldest first. */
  async listApiKeys(userId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db
      .selectFrom('api_keys as k')
      .select(keyColumns)
      .where('k.user_id', '=', userId)
      .orderBy('k.created_at')
      .orderBy('k.id')
      .execute()
    return rows.map(toKey)
  }

  async deleteApiKey(userId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('api_keys')
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async touchApiKey(id: string, lastUsedAt: number): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: lastUsedAt }).where('id', '=', id).execute()
  }
}
