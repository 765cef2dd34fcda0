import { fakeClock } from '../../src/core/clock.ts'
import type { Mail, Mailer } from '../../src/core/mail/mailer.ts'
import type { Logger } from '../../src/core/options.ts'
import { type CreateServerOptions, createServer, type GatehouseServer } from '../../src/server/app.ts'
import { loadServerConfig } from '../../src/server/config.ts'
import type { Schedule } from '../../src/server/purge-schedule.ts'
import type { Stores } from '../../src/stores/contracts.ts'
import { createMemoryStores } from '../../src/stores/memory/index.ts'
import type { Send } from './apps.ts'
import { Client } from './client.ts'

export interface TestServer extends GatehouseServer {
  clock: ReturnType<typeof fakeClock>
  mails: Mail[]
  send: Send
}

/** The real server app on memory stores, a fake clock and a capturing mailer; no socket. */
export async function createTestServer(
  settings: Record<string, unknown> & {
    stores?: Stores
    clock?: ReturnType<typeof fakeClock>
    noMailer?: boolean
    logger?: Logger
    schedule?: Schedule
    oauthFetch?: CreateServerOptions['oauthFetch']
  } = {},
): Promise<TestServer> {
  const {
    stores,
    clock = fakeClock(Date.UTC(2026, 10, 23)),
    noMailer,
    logger,
    schedule,
    oauthFetch,
    ...rest
  } = settings
  settings = rest
  const mails: Mail[] = []
  const mailer: Mailer = { description: 'capture', send: async (m) => void mails.push(m) }
  const config = loadServerConfig(
    {},
    {
      mode: 'test',
      secret: 'test-secret-for-the-server-0123456789abcdef',
      publicUrl: 'http://localhost:8000',
      databaseUrl: 'sqlite::memory:',
      emailVerification: 'optional',
      ...settings,
      auth: { password: { memoryCost: 8192, timeCost: 1 }, ...((settings.auth as object) ?? {}) },
    },
  )
  const server = await createServer(config, {
    stores: stores ?? createMemoryStores({ clock }),
    clock,
    ...(noMailer ? {} : { mailer }),
    logger: logger ?? { warn: () => {} },
    ...(schedule ? { schedule } : {}),
    ...(oauthFetch ? { oauthFetch } : {}),
  })
  return { ...server, clock, mails, send: async (request) => server.app.request(request) }
}

/** A client signed up on the test server as `username` (`<username>@example.com`), and the new user's id. */
export async function signedUpClient(s: TestServer, username: string, password: string) {
  const client = new Client(s.send)
  const res = await client.post('/api/auth/signup', { email: `${username}@example.com`, username, password })
  if (res.status !== 201) throw new Error(`sign-up of ${username}: ${res.status} ${await res.text()}`)
  const { user } = (await res.json()) as { user: { id: string } }
  return { client, id: user.id }
}
