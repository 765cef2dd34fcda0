/** The SQLite database and its WAL/SHM files hold password and session hashes: mode 0600. */
import { statSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSqlStores, type SqlStores } from '../src/stores/sql/index.ts'

let dir: string
let stores: SqlStores | undefined
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-files-'))
})
afterEach(async () => {
  await stores?.close()
  stores = undefined
  await rm(dir, { recursive: true, force: true })
})

const mode = (path: string) => statSync(path).mode & 0o777
const files = (db: string) => [db, `${db}-wal`, `${db}-shm`]

describe('SQLite file modes', () => {
  it('a new database, its WAL and SHM files are owner-only (0600) at start and after a write', async () => {
    const db = join(dir, 'gatehouse.db')
    stores = await createSqlStores({ url: `sqlite:${db}` })
    expect(files(db).map(mode)).toEqual([0o600, 0o600, 0o600])
    await stores.kv.set('k', 'v', 60)
    expect(files(db).map(mode)).toEqual([0o600, 0o600, 0o600])
  })

  it('files left world-readable by an earlier run are narrowed to 0600 when opened', async () => {
    const db = join(dir, 'old.db')
    for (const path of files(db)) writeFileSync(path, '', { mode: 0o644 })
    stores = await createSqlStores({ url: `sqlite:${db}` })
    expect(files(db).map(mode)).toEqual([0o600, 0o600, 0o600])
  })
})
