/** Profiles the session-authenticated Hono route over a real socket: `node --import tsx --cpu-prof bench/profile-hot.ts`. */
import { serve } from '@hono/node-server'
import autocannon from 'autocannon'
import { createAuth } from '../src/core/auth.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'
import { honoAuth, honoBare } from './apps.ts'

const auth = await createAuth({
  mode: 'test',
  stores: createMemoryStores(),
  password: { memoryCost: 8192, timeCost: 1 },
})
const user = await auth.signUp({
  email: 'p@example.com',
  username: 'profiled',
  password: 'correct horse battery',
})
const { token } = await auth.startSession(user)
const app = process.env.BARE ? honoBare() : honoAuth(auth)
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
await new Promise((r) => server.once('listening', r))
const { port } = server.address() as { port: number }
const result = await autocannon({
  url: `http://127.0.0.1:${port}/hello`,
  connections: 10,
  duration: 4,
  headers: { cookie: `gh_session=${token}` },
})
console.log(
  process.env.BARE ? 'bare' : 'auth',
  Math.round(result.requests.average),
  'req/s',
  result.non2xx,
  'non-2xx',
)
server.close()
process.exit(0)
