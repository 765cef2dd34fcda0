import type { Kysely } from 'kysely'
import type { ModuleMigration } from '../../module.ts'
import type { LinkedAccount, OAuthAccountStore, StoredTokens } from './account-store.ts'

// biome-ignore lint/suspicious/noExplicitAny: the module's own table, outside the core's typed schema
type Db = Kysely<any>

/** The module's tables on SQLite and PostgreSQL (applied as `oauth/0001-accounts`). */
export const OAUTH_MIGRATIONS: Record<string, ModuleMigration> = {
  '0001-accounts': {
    async up(db: unknown) {
      const k = db as Db
      await k.schema
        .createTable('oauth_accounts')
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('email', 'text')
        .addColumn('groups', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('granted_roles', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('linked_at', 'bigint', (c) => c.notNull())
        .addColumn('access_token', 'text')
        .addColumn('refresh_token', 'text')
        .addColumn('token_expires_at', 'bigint')
        .addColumn('token_version', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('oauth_accounts_pk', ['provider', 'issuer', 'subject'])
        .addUniqueConstraint('oauth_accounts_user_provider', ['user_id', 'provider'])
        .execute()
    },
  },
}

interface Row {
  provider: string
  issuer: string
  subject: string
  user_id: string
  email: string | null
  groups: string
  granted_roles: string
  linked_at: number | string
  access_token: string | null
  refresh_token: string | null
  token_expires_at: number | string | null
  token_version: number | string
}

const num = (v: number | string | null) => (v === null ? null : Number(v))

function toAccount(r: Row): LinkedAccount {
  return {
    userId: r.user_id,
    provider: r.provider,
    issuer: r.issuer,
    subject: r.subject,
    email: r.email,
    groups: JSON.parse(r.groups),
    grantedRoles: JSON.parse(r.granted_roles),
    linkedAt: Number(r.linked_at),
    accessToken: r.access_token,
    refreshToken: r.refresh_token,
    tokenExpiresAt: num(r.token_expires_at),
    tokenVersion: Number(r.token_version),
  }
}

/** Linked accounts in SQL; the token write is one conditional UPDATE (compare-and-set across instances). */
export class SqlOAuthAccounts implements OAuthAccountStore {
  constructor(private readonly db: Db) {}

  async find(provider: string, issuer: string, subject: string) {
    const row = await this.db
      .selectFrom('oauth_accounts')
      .selectAll()
      .where('provider', '=', provider)
      .where('issuer', '=', issuer)
      .where('subject', '=', subject)
      .executeTakeFirst()
    return row ? toAccount(row as Row) : null
  }

  async get(userId: string, provider: string) {
    const row = await this.db
      .selectFrom('oauth_accounts')
      .selectAll()
      .where('user_id', '=', userId)
      .where('provider', '=', provider)
      .executeTakeFirst()
    return row ? toAccount(row as Row) : null
  }

  async listForUser(userId: string) {
    const rows = await this.db
      .selectFrom('oauth_accounts')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('linked_at')
      .execute()
    return rows.map((r) => toAccount(r as Row))
  }

  async insert(a: LinkedAccount) {
    const result = await this.db
      .insertInto('oauth_accounts')
      .values({
        provider: a.provider,
        issuer: a.issuer,
        subject: a.subject,
        user_id: a.userId,
        email: a.email,
        groups: JSON.stringify(a.groups),
        granted_roles: JSON.stringify(a.grantedRoles),
        linked_at: a.linkedAt,
        access_token: a.accessToken,
        refresh_token: a.refreshToken,
        token_expires_at: a.tokenExpiresAt,
        token_version: a.tokenVersion,
      })
      // Either unique key (the identity, or one account per provider per user) refuses it.
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst()
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
  }

  async updateProfile(
    userId: string,
    provider: string,
    p: Pick<LinkedAccount, 'email' | 'groups' | 'grantedRoles'>,
  ) {
    await this.db
      .updateTable('oauth_accounts')
      .set({
        email: p.email,
        groups: JSON.stringify(p.groups),
        granted_roles: JSON.stringify(p.grantedRoles),
      })
      .where('user_id', '=', userId)
      .where('provider', '=', provider)
      .execute()
  }

  async setTokens(userId: string, provider: string, expectedVersion: number, t: StoredTokens) {
    const result = await this.db
      .updateTable('oauth_accounts')
      .set({
        access_token: t.accessToken,
        refresh_token: t.refreshToken,
        token_expires_at: t.tokenExpiresAt,
        token_version: expectedVersion + 1,
      })
      .where('user_id', '=', userId)
      .where('provider', '=', provider)
      .where('token_version', '=', expectedVersion)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  async delete(userId: string, provider: string) {
    const result = await this.db
      .deleteFrom('oauth_accounts')
      .where('user_id', '=', userId)
      .where('provider', '=', provider)
      .executeTakeFirst()
    return Number(result.numDeletedRows) === 1
  }
}
