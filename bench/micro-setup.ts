/** Shared by the in-process micro benchmarks: an Auth on a fresh SQLite file with one user. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// The compiled package, like bench/apps.ts (npm run build first).
import { createAuth } from 'gatehouse-auth'
import { createSqlStores } from 'gatehouse-auth/stores/sql'

export async function sqliteAuthWithUser() {
  const dir = mkdtempSync(join(tmpdir(), 'gh-micro-'))
  const auth = await createAuth({
    mode: 'test',
    stores: await createSqlStores({ url: `sqlite:${join(dir, 'm.db')}` }),
    password: { memoryCost: 8192, timeCost: 1 },
  })
  const user = await auth.signUp({
    email: 'm@example.com',
    username: 'micro',
    password: 'correct horse battery',
  })
  return { auth, user }
}
