/**
 * The composition root of the "gatehouse-auth" entry point (imported by src/index.ts for its
 * effect): it gives the core what the core may not import itself (src/core/wiring.ts).
 */
import { join } from 'node:path'
import { DEFAULT_DATA_DIR } from '../core/options.ts'
import { wiring } from '../core/wiring.ts'

/**
 * The one default database of the library and the CLI (`npx gatehouse user create`):
 * DATABASE_URL, else SQLite in `<dataDir>/gatehouse.db` — what src/server/config.ts derives.
 */
export function defaultDatabaseUrl(
  env: Record<string, string | undefined> = process.env,
  dataDir: string = DEFAULT_DATA_DIR,
): string {
  return env.DATABASE_URL || `sqlite:${join(dataDir, 'gatehouse.db')}`
}

// Loaded on first use: an app that brings its own stores never loads the SQL drivers, and
// one that never calls auth.handler never loads the routes.
wiring.openDefaultStores = async (dataDir) => {
  const { createSqlStores } = await import('../stores/sql/index.ts')
  const url = defaultDatabaseUrl(process.env, dataDir ?? DEFAULT_DATA_DIR)
  return createSqlStores({ url, createDirectory: !process.env.DATABASE_URL })
}
wiring.handle = async (auth, request) => (await import('../server/embed.ts')).handleRequest(auth, request)
