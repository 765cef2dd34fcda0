import type { Kysely } from 'kysely'
import type { SigningKeyRecord, SigningKeyStore } from '../contracts.ts'
import type { Database, SigningKeysTable } from './schema.ts'

function toKey(r: SigningKeysTable): SigningKeyRecord {
  return {
    kid: r.kid,
    alg: r.alg as SigningKeyRecord['alg'],
    publicJwk: r.public_jwk,
    privateKeyEncrypted: r.private_key_encrypted,
    createdAt: Number(r.created_at),
    retiredAt: r.retired_at === null ? null : Number(r.retired_at),
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
  }
}

export class SqlSigningKeyStore implements SigningKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Oldest first. */
  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .selectAll()
      .orderBy('created_at')
      .orderBy('kid')
      .execute()
    return rows.map(toKey)
  }

  async addSigningKey(k: SigningKeyRecord): Promise<void> {
    await this.db
      .insertInto('signing_keys')
      .values({
        kid: k.kid,
        alg: k.alg,
        public_jwk: k.publicJwk,
        private_key_encrypted: k.privateKeyEncrypted,
        created_at: k.createdAt,
        retired_at: k.retiredAt,
        expires_at: k.expiresAt,
      })
      .execute()
  }

  async retireSigningKey(kid: string, retiredAt: number, expiresAt: number): Promise<void> {
    await this.db
      .updateTable('signing_keys')
      .set({ retired_at: retiredAt, expires_at: expiresAt })
      .where('kid', '=', kid)
      .execute()
  }

  async deleteSigningKey(kid: string): Promise<void> {
    await this.db.deleteFrom('signing_keys').where('kid', '=', kid).execute()
  }
}
