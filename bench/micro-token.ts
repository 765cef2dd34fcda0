/** In-process cost of verifyAccess with and without the revocation lookup: `npx tsx bench/micro-token.ts`. */
import { sqliteAuthWithUser } from './micro-setup.ts'

const { auth, user } = await sqliteAuthWithUser()
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
