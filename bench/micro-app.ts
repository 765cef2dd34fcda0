/** In-process cost of one request through the Hono apps (no sockets): `npx tsx bench/micro-app.ts`. */
import { honoAuth, honoBare } from './apps.ts'
import { sqliteAuthWithUser } from './micro-setup.ts'

const { auth, user } = await sqliteAuthWithUser()
const { token } = await auth.startSession(user)
const cookie = `${auth.sessionCookieName}=${token}`

async function run(
  name: string,
  fetcher: (r: Request) => Response | Promise<Response>,
  headers: Record<string, string>,
) {
  const once = async () => {
    const res = await fetcher(new Request('http://127.0.0.1/hello', { headers }))
    if (res.status !== 200) throw new Error(`${name}: ${res.status}`)
    await res.arrayBuffer()
  }
  for (let i = 0; i < 3000; i++) await once()
  const n = 20_000
  const t = process.hrtime.bigint()
  for (let i = 0; i < n; i++) await once()
  console.log(`${name.padEnd(16)} ${(Number(process.hrtime.bigint() - t) / 1000 / n).toFixed(1)} µs/request`)
}
const bare = honoBare()
const authed = honoAuth(auth)
await run('bare', (r) => bare.fetch(r), {})
await run('session sqlite', (r) => authed.fetch(r), { cookie })
await run(
  'authenticate only',
  async () => {
    await auth.authenticate({ cookie, authorization: null, apiKey: null, method: 'GET' })
    return new Response('x')
  },
  {},
)
