/** In-process cost of verifyAccess with and without the revocation lookup: `npx tsx bench/micro-token.ts`. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAuth } from '../src/core/auth.ts'
import { createSqlStores } from '../src/stores/sql/index.ts'

const dir = mkdtempSync(join(tmpdir(), 'gh-micro-'))
const auth = await createAuth({
  mode: 'test',
  stores: await createSqlStores({ url: `sqlite:${join(dir, 'm.db')}` }),
  password: { memoryCost: 8192, timeCost: 1 },
})
const user = await auth.signUp({
  email: 't@example.com',
  username: 'tokens',
  password: 'correct horse battery',
})
const { access_token } = await auth.tokens!.issuePair(user)
for (const checkRevocation of [false, true]) {
  for (let i = 0; i < 2000; i++) await auth.tokens!.verifyAccess(access_token, { checkRevocation })
  const n = 20_000
  const t = process.hrtime.bigint()
  for (let i = 0; i < n; i++) await auth.tokens!.verifyAccess(access_token, { checkRevocation })
  console.log(
    `verifyAccess checkRevocation=${checkRevocation}: ${(Number(process.hrtime.bigint() - t) / 1000 / n).toFixed(1)} µs`,
  )
}
