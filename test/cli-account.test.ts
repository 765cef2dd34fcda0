/**
 * The CLI an administrator uses every day: --version, user list / delete / reset-password,
 * keys list with none, doctor asking a real SMTP server, and a production start that names
 * every bad setting at once. Processes run asynchronously so the SMTP sink here can answer.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuth } from '../src/core/auth.ts'
import { createSqlStores } from '../src/stores/sql/index.ts'

const T = { timeout: 120_000 }
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-account-'))
const db = join(dir, 'cli.db')
const env = {
  ...process.env,
  GATEHOUSE_DATA_DIR: dir,
  DATABASE_URL: `sqlite:${db}`,
  NODE_ENV: 'development',
  GATEHOUSE_SECRET: 'cli-test-secret-0123456789abcdefghij',
  GATEHOUSE_CONFIG: '',
}
const PASSWORD = 'correct horse battery staple'
let smtp: SMTPServer
let smtpPort = 0

function gatehouse(args: string[], input = '', extra: Record<string, string | undefined> = {}) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, ['bin/gatehouse.js', ...args], { env: { ...env, ...extra } })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    child.stderr.on('data', (d) => {
      err += d
    })
    child.on('close', (code) => resolve({ code, out, err }))
    child.stdin.end(input)
  })
}

async function withAuth<T>(fn: (auth: Awaited<ReturnType<typeof createAuth>>) => Promise<T>): Promise<T> {
  const auth = await createAuth({
    mode: 'test',
    secret: env.GATEHOUSE_SECRET,
    stores: await createSqlStores({ url: `sqlite:${db}` }),
    logger: { warn: () => {} },
    password: { memoryCost: 8192, timeCost: 1 },
  })
  try {
    return await fn(auth)
  } finally {
    await auth.close()
  }
}

beforeAll(async () => {
  smtp = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false })
  smtpPort = await new Promise<number>((resolve) =>
    smtp.listen(0, '127.0.0.1', () => resolve((smtp.server.address() as { port: number }).port)),
  )
})
afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()))
  rmSync(dir, { recursive: true, force: true })
})

describe('gatehouse CLI for administrators', () => {
  it('--version prints the package version', T, async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8'))
    const r = await gatehouse(['--version'])
    expect(r.code).toBe(0)
    expect(r.out.trim()).toBe(version)
  })

  it(
    'user list says when there are none, then lists a table or JSON; keys list says when there are none',
    T,
    async () => {
      const empty = await gatehouse(['user', 'list'])
      expect(empty.code).toBe(0)
      expect(empty.out).toContain('No users.')
      await withAuth(async (auth) => {
        await auth.createUser({ email: 'ann@example.com', username: 'ann', password: PASSWORD })
        await auth.createUser({
          email: 'ben@example.com',
          username: 'ben',
          password: PASSWORD,
          roles: ['user', 'admin'],
        })
      })
      const listed = await gatehouse(['user', 'list'])
      expect(listed.code).toBe(0)
      const lines = listed.out.trim().split('\n')
      expect(lines[0]).toMatch(/^USERNAME\s+EMAIL\s+ROLES\s+STATUS\s+LAST LOGIN$/)
      expect(listed.out).toMatch(/ann\s+ann@example\.com\s+user\s+active\s+never/)
      expect(listed.out).toContain('2 users.')
      const json = await gatehouse(['user', 'list', '--json', '--role', 'admin'])
      expect(JSON.parse(json.out)).toEqual([
        expect.objectContaining({ username: 'ben', roles: ['admin', 'user'] }),
      ])
      const keys = await gatehouse(['keys', 'list'])
      expect(keys.out).toContain('No signing keys yet')
    },
  )

  it(
    'user reset-password reads standard input and ends sessions; user delete needs --yes without a terminal',
    T,
    async () => {
      const next = 'ann has a brand new passphrase'
      const reset = await gatehouse(['user', 'reset-password', 'ann'], `${next}\n`)
      expect(reset.code).toBe(0)
      expect(reset.out).toContain('New password set for ann')
      await withAuth(async (auth) => {
        await expect(auth.verifyLogin({ login: 'ann', password: next })).resolves.toMatchObject({
          username: 'ann',
        })
      })
      const refused = await gatehouse(['user', 'delete', 'ann'])
      expect(refused.code).toBe(1)
      expect(refused.err).toContain('--yes')
      const deleted = await gatehouse(['user', 'delete', 'ann', '--yes'])
      expect(deleted.code).toBe(0)
      await withAuth(async (auth) => expect(await auth.findUserByLogin('ann')).toBeNull())
    },
  )

  it('doctor asks the SMTP server; a production start names every bad setting at once', T, async () => {
    const good = await gatehouse(['doctor'], '', { SMTP_URL: `smtp://127.0.0.1:${smtpPort}` })
    expect(good.out).toMatch(/ ok \s+smtp: the SMTP server answers/)
    const start = await gatehouse(['serve', '--port', '0'], '', {
      NODE_ENV: 'production',
      GATEHOUSE_SECRET: undefined,
      PUBLIC_URL: 'http://auth.example.com',
      SMTP_URL: undefined,
    })
    expect(start.code).toBe(78)
    for (const setting of ['"secret"', '"publicUrl"', '"smtpUrl"']) expect(start.err).toContain(setting)
  })

  it('serve --strict refuses to start with an SMTP server that does not answer', T, async () => {
    // Port 1: nothing listens there, the connection is refused at once.
    const dead = 'smtp://127.0.0.1:1'
    const strict = await gatehouse(['serve', '--port', '0', '--strict'], '', { SMTP_URL: dead })
    expect(strict.code).toBe(78)
    expect(strict.err).toMatch(/"smtpUrl": the SMTP server .* is unreachable/)
  })
})
