import { join } from 'node:path'
import type { Stores } from '../stores/contracts.ts'
import { DEFAULT_DATA_DIR } from './options.ts'

/**
 * The one default database of the library and the CLI (`gatehouse user create`): DATABASE_URL,
 * else SQLite in `<dataDir>/gatehouse.db`. The server's config reads the same two settings.
 */
export function defaultDatabaseUrl(
  env: Record<string, string | undefined> = process.env,
  dataDir: string = DEFAULT_DATA_DIR,
): string {
  return env.DATABASE_URL || `sqlite:${join(dataDir, 'gatehouse.db')}`
}

/** createAuth without `stores`: the default database, migrated (its folder created for the default file). */
export async function openDefaultStores(dataDir: string | undefined): Promise<Stores> {
  // Loaded only here: an app that brings its own stores never loads the SQL drivers.
  const { createSqlStores } = await import('../stores/sql/index.ts')
  const url = defaultDatabaseUrl(process.env, dataDir ?? DEFAULT_DATA_DIR)
  return createSqlStores({ url, createDirectory: !process.env.DATABASE_URL })
}
