/**
 * Versioned migrations, kept in code (not files on disk) so they ship inside the
 * package and run the same from tests, the server and `gatehouse migrate`.
 * DDL sticks to what SQLite and PostgreSQL both accept: text, integer, bigint.
 * Never edit a released migration; add the next one.
 */
import { type Kysely, type Migration, type MigrationResultSet, Migrator, PostgresAdapter, sql } from 'kysely'
import { SEEDED_ROLES } from '../common.ts'

const cascade = 'cascade' as const

/** 0001: users, their identities and roles. */
// biome-ignore lint/suspicious/noExplicitAny: see initial.up()
async function createAccountTables(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('username_normalized', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_login_at', 'bigint')
    // Named so a unique violation can be mapped back to the field (see users.ts).
    .addUniqueConstraint('users_email_unique', ['email'])
    .addUniqueConstraint('users_username_unique', ['username_normalized'])
    .execute()
  await db.schema.createIndex('users_created_at_idx').on('users').columns(['created_at', 'id']).execute()

  await db.schema
    .createTable('identities')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete(cascade))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('identities_pk', ['provider', 'subject'])
    .execute()
  await db.schema.createIndex('identities_user_id_idx').on('identities').column('user_id').execute()

  await db.schema
    .createTable('roles')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .execute()
  await db
    .insertInto('roles')
    .values(SEEDED_ROLES.map((name) => ({ name })))
    .execute()

  await db.schema
    .createTable('role_permissions')
    .addColumn('role', 'text', (c) => c.notNull().references('roles.name').onDelete(cascade))
    .addColumn('permission', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('role_permissions_pk', ['role', 'permission'])
    .execute()

  await db.schema
    .createTable('user_roles')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete(cascade))
    .addColumn('role', 'text', (c) => c.notNull().references('roles.name').onDelete(cascade))
    .addPrimaryKeyConstraint('user_roles_pk', ['user_id', 'role'])
    .execute()
}

/** 0001: sessions and the key-value table. */
// biome-ignore lint/suspicious/noExplicitAny: see initial.up()
async function createSessionTables(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete(cascade))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('absolute_expires_at', 'bigint', (c) => c.notNull())
    .addColumn('remember', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .execute()
  await db.schema.createIndex('sessions_user_id_idx').on('sessions').column('user_id').execute()

  await db.schema
    .createTable('kv')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('kv_expires_at_idx').on('kv').column('expires_at').execute()
}

/** 0001: the audit trail, signing keys and API keys. */
// biome-ignore lint/suspicious/noExplicitAny: see initial.up()
async function createRecordTables(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text') // no foreign key: the trail outlives the user
    .addColumn('actor_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('reason', 'text')
    .addColumn('data', 'text')
    .execute()
  await db.schema.createIndex('audit_events_at_idx').on('audit_events').column('at').execute()
  await db.schema.createIndex('audit_events_type_idx').on('audit_events').column('type').execute()
  await db.schema.createIndex('audit_events_user_id_idx').on('audit_events').column('user_id').execute()

  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_key_encrypted', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('retired_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .execute()

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete(cascade))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .execute()
  await db.schema.createIndex('api_keys_user_id_idx').on('api_keys').column('user_id').execute()
}

const initial: Migration = {
  // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema of their time, not today's types
  async up(db: Kysely<any>) {
    // One DDL step per group of tables, in this order (foreign keys point backwards).
    await createAccountTables(db)
    await createSessionTables(db)
    await createRecordTables(db)
  },

  // biome-ignore lint/suspicious/noExplicitAny: see up()
  async down(db: Kysely<any>) {
    for (const table of [
      'api_keys',
      'signing_keys',
      'audit_events',
      'kv',
      'sessions',
      'user_roles',
      'role_permissions',
      'roles',
      'identities',
      'users',
    ]) {
      await db.schema.dropTable(table).execute()
    }
  },
}

/** 0002: per-session data (SessionRecord.dataJson), ended with its row. */
const sessionData: Migration = {
  // biome-ignore lint/suspicious/noExplicitAny: see initial.up()
  async up(db: Kysely<any>) {
    await db.schema.alterTable('sessions').addColumn('data', 'text').execute()
  },
  // biome-ignore lint/suspicious/noExplicitAny: see initial.up()
  async down(db: Kysely<any>) {
    await db.schema.alterTable('sessions').dropColumn('data').execute()
  },
}

/** Every migration, by name; names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_session_data': sessionData,
}

export interface MigrateOptions {
  /** PostgreSQL only: the schema that holds Kysely's bookkeeping tables (default: current_schema()). */
  schema?: string
}

async function migrator(
  // biome-ignore lint/suspicious/noExplicitAny: works on any Kysely instance, typed or not
  db: Kysely<any>,
  { schema }: MigrateOptions,
  list: Record<string, Migration> = migrations,
  table?: string,
): Promise<Migrator> {
  // Without a schema, Kysely looks for its table in *any* PostgreSQL schema and may find
  // another tenant's (e.g. a parallel test run's); pin it to ours.
  let migrationTableSchema = schema
  if (!migrationTableSchema && db.getExecutor().adapter instanceof PostgresAdapter) {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db)
    migrationTableSchema = rows[0]?.schema
  }
  return new Migrator({
    db,
    provider: { getMigrations: async () => list },
    ...(table ? { migrationTableName: table, migrationLockTableName: `${table}_lock` } : {}),
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  })
}

function unwrap({ error, results }: MigrationResultSet): string[] {
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    throw new Error(`Migration ${failed ?? '(setup)'} failed`, { cause: error })
  }
  return (results ?? []).map((r) => r.migrationName)
}

/** Applies every pending migration; returns the names applied (empty when up to date). */
// biome-ignore lint/suspicious/noExplicitAny: see migrator()
export async function migrateToLatest(db: Kysely<any>, options: MigrateOptions = {}): Promise<string[]> {
  return unwrap(await (await migrator(db, options)).migrateToLatest())
}

/** Names of applied and pending migrations, for `gatehouse migrate --status`. */
// biome-ignore lint/suspicious/noExplicitAny: see migrator()
export async function migrationStatus(db: Kysely<any>, options: MigrateOptions = {}) {
  const all = await (await migrator(db, options)).getMigrations()
  return all.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }))
}

/**
 * A module's migrations (module.ts), in a bookkeeping table of that module's own: the core's
 * migrator never sees them, and adding or removing a module never looks like a corrupted
 * history to another.
 */
export async function migrateModule(
  // biome-ignore lint/suspicious/noExplicitAny: see migrator()
  db: Kysely<any>,
  moduleId: string,
  list: Record<string, Migration>,
  options: MigrateOptions = {},
): Promise<string[]> {
  const table = `gatehouse_migrations_${moduleId.replaceAll('-', '_')}`
  return unwrap(await (await migrator(db, options, list, table)).migrateToLatest())
}
