/** The CLI as an operator uses it: a real process, a real SQLite file, the password on stdin. */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createAuth } from '../src/core/auth.ts'
import { createSqlStores } from '../src/stores/sql/index.ts'

// Each CLI call starts a process that loads TypeScript through tsx: seconds each on a loaded machine.
const CLI_TIMEOUT = { timeout: 120_000 }

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'))
const db = join(dir, 'cli.db')
const baseEnv = {
  ...process.env,
  GATEHOUSE_DATA_DIR: dir,
  DATABASE_URL: `sqlite:${db}`,
  NODE_ENV: 'development',
  GATEHOUSE_SECRET: 'cli-test-secret-0123456789abcdefghij',
  GATEHOUSE_CONFIG: '',
}
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function gatehouse(args: string[], input = '', env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/gatehouse.js', ...args], {
    input,
    env: { ...baseEnv, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

async function withAuth<T>(fn: (auth: Awaited<ReturnType<typeof createAuth>>) => Promise<T>): Promise<T> {
  const auth = await createAuth({
    mode: 'test',
    secret: baseEnv.GATEHOUSE_SECRET,
    stores: await createSqlStores({ url: `sqlite:${db}` }),
    logger: { warn: () => {} },
  })
  try {
    return await fn(auth)
  } finally {
    await auth.close()
  }
}

describe('gatehouse CLI', CLI_TIMEOUT, () => {
  it('creates the first administrator with the password from stdin, never from an argument', async () => {
    const r = gatehouse(
      ['user', 'create', '--email', 'Root@Example.com', '--username', 'root', '--admin'],
      'an admin passphrase here\n',
    )
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/Created root <root@example.com> with role admin/)
    const user = await withAuth((auth) =>
      auth.verifyLogin({ login: 'root', password: 'an admin passphrase here' }),
    )
    expect(user.roles).toEqual(['admin', 'user'])
    expect(user.emailVerified).toBe(true)
    const help = gatehouse(['user', 'create', '--help'])
    expect(help.out).not.toMatch(/--password/)
  })

  it('refuses a weak password and a duplicate with a clear message', () => {
    const weak = gatehouse(['user', 'create', '--email', 'w@example.com', '--username', 'weak'], 'password\n')
    expect(weak.code).toBe(1)
    expect(weak.err).toMatch(/password: .*common/i)
    const dup = gatehouse(
      ['user', 'create', '--email', 'root@example.com', '--username', 'other'],
      'another passphrase ok\n',
    )
    expect(dup.code).toBe(1)
    expect(dup.err).toMatch(/email already exists/)
  })

  it('sets roles and deactivates users (ending their sessions)', async () => {
    gatehouse(
      ['user', 'create', '--email', 'ed@example.com', '--username', 'eddie'],
      'an editor passphrase\n',
    )
    const token = await withAuth(
      async (auth) => (await auth.login({ login: 'eddie', password: 'an editor passphrase' })).token,
    )
    const set = gatehouse(['user', 'set-role', 'eddie', 'user', 'editor'])
    expect(set.out.trim()).toBe('eddie: editor, user')
    expect(gatehouse(['user', 'set-role', 'eddie', 'wizard']).code).toBe(1)
    const off = gatehouse(['user', 'deactivate', 'ED@example.com'])
    expect(off.code).toBe(0)
    await withAuth(async (auth) => {
      expect(await auth.sessions.validate(token)).toBeNull()
      await expect(
        auth.verifyLogin({ login: 'eddie', password: 'an editor passphrase' }),
      ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' })
    })
    expect(gatehouse(['user', 'deactivate', 'nobody']).code).toBe(1)
  })

  it('creates users with public sign-up disabled, and refuses to take away the last active admin', async () => {
    const closed = join(dir, 'signup-closed.json')
    writeFileSync(closed, JSON.stringify({ auth: { signup: { enabled: false } } }))
    const made = gatehouse(
      ['user', 'create', '--email', 'ops@example.com', '--username', 'ops_made'],
      'an operator passphrase\n',
      { GATEHOUSE_CONFIG: closed },
    )
    expect(made.err).toBe('')
    expect(made.code).toBe(0)
    expect(made.out).toMatch(/Created ops_made <ops@example.com>/)
    // root is the only administrator here.
    const demote = gatehouse(['user', 'set-role', 'root', 'user'])
    expect(demote.code).toBe(1)
    expect(demote.err).toMatch(/no active administrator/)
    const off = gatehouse(['user', 'deactivate', 'root'])
    expect(off.code).toBe(1)
    expect(off.err).toMatch(/no active administrator/)
    await withAuth(async (auth) => {
      expect(await auth.findUserByLogin('root')).toMatchObject({ roles: ['admin', 'user'], active: true })
      expect((await auth.findUserByLogin('ops_made'))?.roles).toEqual(['user'])
    })
  })

  it('migrate lists the applied migrations', () => {
    const r = gatehouse(['migrate'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/applied\s+0001_initial/)
  })

  it('doctor exits non-zero on a production problem and names it', () => {
    const bad = gatehouse(['doctor'], '', {
      NODE_ENV: 'production',
      GATEHOUSE_SECRET: 'short',
      PUBLIC_URL: 'http://auth.example.com',
    })
    expect(bad.code).toBe(1)
    expect(bad.out).toMatch(/FAIL\s+secret/)
    expect(bad.out).toMatch(/FAIL\s+publicUrl/)
    expect(bad.out).toMatch(/FAIL\s+mailer/)
    const good = gatehouse(['doctor'], '', {
      NODE_ENV: 'production',
      GATEHOUSE_SECRET: 'Xk3!pQ9z-Lm2#Vb7Rt5^Ws8&Yh4*Nd6@Jf1',
      PUBLIC_URL: 'https://auth.example.com',
      SMTP_URL: 'smtps://user:pw@smtp.example.com:465',
    })
    expect(good.out).not.toMatch(/FAIL\s+(secret|publicUrl|mailer|cookies|password)/)
    // smtp.example.com does not answer: doctor asks the SMTP server, and says so
    // (test/cli-account.test.ts has the answering case).
    expect(good.out).toMatch(/FAIL\s+smtp: the SMTP server .* is unreachable/)
    expect(good.code).toBe(1)
  })

  it('serve fails closed in production without a secret, naming the setting', () => {
    const r = gatehouse(['serve', '--port', '0'], '', {
      NODE_ENV: 'production',
      GATEHOUSE_SECRET: '',
      PUBLIC_URL: 'https://auth.example.com',
      SMTP_URL: 'smtp://127.0.0.1:1',
    })
    expect(r.code).toBe(78)
    expect(r.err).toMatch(/"secret"/)
  })
})

describe('gatehouse serve', CLI_TIMEOUT, () => {
  it('prints where it listens and what it runs on, serves, and stops cleanly on SIGTERM', async () => {
    const { spawn } = await import('node:child_process')
    const child = spawn(process.execPath, ['bin/gatehouse.js', 'serve', '--port', '0'], {
      env: { ...baseEnv, GATEHOUSE_SECRET: '', SMTP_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stderr.on('data', (d) => {
      err += d
    })
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d
        const m = /listening on (http:\/\/[^\s]+)/.exec(out)
        if (m && out.includes('mail:')) resolve(m[1]!)
      })
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)))
    })
    expect(out).toMatch(/stores: sqlite:/)
    expect(out).toMatch(/development outbox/)
    expect(err).toMatch(/"secret" not set/)
    expect(err).toMatch(/SMTP_URL not set/)
    expect(err).toMatch(/"publicUrl" is http/)
    const health = await fetch(`${url}/healthz`)
    expect(await health.json()).toEqual({ status: 'ok' })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(out).toMatch(/Received SIGTERM/)
    await expect(fetch(`${url}/healthz`)).rejects.toThrow()
  })
})
