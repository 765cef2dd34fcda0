import { readFileSync } from 'node:fs'
import { Command, Option } from 'commander'
import { ADMIN_ROLE, createAuth } from '../core/auth.ts'
import { AuthError } from '../core/errors.ts'
import { createSmtpMailer } from '../core/mail/mailer.ts'
import { normalizeEmail } from '../core/users.ts'
import {
  loadServerConfig,
  portSetting,
  readSetting,
  type ServerConfig,
  usesDefaultDatabase,
} from '../server/config.ts'
import { openServerStores } from '../server/open-stores.ts'
import { serverMode, smtpProblem } from '../server/preflight.ts'
import { startServer } from '../server/serve.ts'
import { StoreConfigError } from '../stores/errors.ts'
import { createSqlStores, migrationStatus } from '../stores/sql/index.ts'
import { diagnose } from './doctor.ts'
import { readNewPassword, registerUserCommands } from './user-commands.ts'

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string
}

const program = new Command('gatehouse')
  .description('Gatehouse: authentication and authorization for TypeScript web apps')
  .version(version, '-V, --version', 'print the version')
  .addOption(new Option('-c, --config <file>', 'JSON config file (also GATEHOUSE_CONFIG)'))
  .showHelpAfterError()

function config(overrides: Record<string, unknown> = {}): ServerConfig {
  const { config: configFile } = program.opts<{ config?: string }>()
  return loadServerConfig(process.env, { ...(configFile ? { configFile } : {}), ...overrides })
}

/**
 * An Auth on the configured stores — the same as the server's (SQL, and Redis with REDIS_URL),
 * so what a command changes (sessions, throttle counters) is what the server sees.
 */
async function openAuth() {
  const c = config()
  // Exactly the stores the server uses (SQL, and Redis with REDIS_URL): a deactivation here
  // must end the sessions and tokens the server reads.
  const { stores, throttleBackend } = await openServerStores(c)
  const quiet = { warn: () => {} }
  try {
    return await createAuth(
      {
        ...(c.auth as object),
        secret: c.secret,
        previousSecrets: c.previousSecrets,
        mode: c.mode,
        publicUrl: c.publicUrl,
        dataDir: c.dataDir,
        stores,
        logger: quiet,
      },
      throttleBackend ? { throttleBackend } : {},
    )
  } catch (error) {
    await stores.close()
    throw error
  }
}

/** Runs one admin command on an Auth and always closes its stores. */
async function withAuth(fn: (auth: Awaited<ReturnType<typeof openAuth>>) => Promise<void>): Promise<void> {
  const auth = await openAuth()
  try {
    await fn(auth)
  } finally {
    await auth.close()
  }
}

async function findUser(auth: Awaited<ReturnType<typeof openAuth>>, login: string) {
  const user = await auth.findUserByLogin(login)
  if (!user) throw new AuthError('NOT_FOUND', { message: `No user "${login}".` })
  return user
}

program
  .command('serve')
  .description('start the server (default 127.0.0.1:8000, SQLite in ./data)')
  .option('-p, --port <port>', 'port (also PORT)')
  .option('-H, --host <host>', 'interface (also HOST)')
  .option(
    '--strict',
    'refuse to start when a start-up check only warns (an unreachable SMTP server); also GATEHOUSE_STRICT',
  )
  .action(async (opts: { port?: string; host?: string; strict?: boolean }) => {
    // The flags take the place of PORT/HOST, so what derives from them (the development
    // public URL) follows too.
    const c = config({
      ...(opts.port ? { port: readSetting(portSetting, 'port', '--port', opts.port) } : {}),
      ...(opts.host ? { host: opts.host } : {}),
      ...(opts.strict ? { strict: true } : {}),
    })
    // While it waits for a store at start nothing is in flight: a signal just ends it.
    const whileStarting = (signal: NodeJS.Signals) => {
      console.log(`Received ${signal} while starting: exiting.`)
      process.exit(0)
    }
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, whileStarting)
    const running = await startServer(c)
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.off(signal, whileStarting)
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        console.log(
          `Received ${signal}: finishing in-flight requests (up to ${c.shutdownGraceSeconds} s), then closing the stores…`,
        )
        // A second signal, or stores that will not close, must not keep the process alive.
        const hard = setTimeout(() => process.exit(1), c.shutdownGraceSeconds * 1000 + 5000)
        hard.unref()
        for (const again of ['SIGTERM', 'SIGINT'] as const) process.once(again, () => process.exit(1))
        running.stop(c.shutdownGraceSeconds * 1000).then(
          () => {
            console.log('Gatehouse stopped.')
            process.exit(0)
          },
          (error: unknown) => {
            console.error(`gatehouse: stopping failed: ${(error as Error)?.message ?? String(error)}`)
            process.exit(1)
          },
        )
      })
    }
  })

program
  .command('migrate')
  .description('apply database migrations and list them')
  .action(async () => {
    const c = config()
    const stores = await createSqlStores({ url: c.databaseUrl, createDirectory: usesDefaultDatabase(c) })
    for (const m of await migrationStatus(stores.db))
      console.log(`${m.executedAt ? 'applied' : 'pending'}  ${m.name}`)
    await stores.close()
  })

/** The operator's changes keep an active administrator too (LAST_ADMIN otherwise). */
const keepAdmin = { keepActiveAdmin: true }

const user = program.command('user').description('manage users')

user
  .command('create')
  .description('create a user; the password is read from a prompt or standard input, never an argument')
  .requiredOption('--email <email>')
  .requiredOption('--username <username>')
  .option('--name <name>')
  .option('--admin', 'give the admin role (how the first administrator is made)')
  .action(async (opts: { email: string; username: string; name?: string; admin?: boolean }) => {
    await withAuth(async (auth) => {
      const password = await readNewPassword()
      // An operator creates users whatever the public sign-up setting says; the address is
      // taken as verified.
      const defaults = auth.options.signup.defaultRoles
      const created = await auth.createUser({
        email: opts.email,
        username: opts.username,
        name: opts.name ?? null,
        password,
        roles: opts.admin ? [...defaults, ADMIN_ROLE] : defaults,
        emailVerified: true,
      })
      console.log(
        `Created ${created.username} <${normalizeEmail(opts.email)}>${opts.admin ? ' with role admin' : ''}.`,
      )
    })
  })

user
  .command('set-role')
  .description('replace the roles of a user')
  .argument('<login>', 'username or email')
  .argument('<roles...>', 'role names, e.g. user admin')
  .action(async (login: string, roles: string[]) => {
    await withAuth(async (auth) => {
      const updated = await auth.setRoles((await findUser(auth, login)).id, roles, null, {}, keepAdmin)
      console.log(`${updated.username}: ${updated.roles.join(', ')}`)
    })
  })

user
  .command('deactivate')
  .description('disable a user and end all its sessions and tokens')
  .argument('<login>', 'username or email')
  .action(async (login: string) => {
    await withAuth(async (auth) => {
      const u = await auth.setActive((await findUser(auth, login)).id, false, null, {}, keepAdmin)
      console.log(`${u.username} is deactivated; its sessions are ended.`)
    })
  })

user
  .command('activate')
  .description('enable a user again')
  .argument('<login>', 'username or email')
  .action(async (login: string) => {
    await withAuth(async (auth) => {
      const u = await auth.setActive((await findUser(auth, login)).id, true, null)
      console.log(`${u.username} is active.`)
    })
  })

user
  .command('unlock')
  .description("clear an account's failed-login throttle (a user locked out by someone else's guesses)")
  .argument('<login>', 'username or email')
  .action(async (login: string) => {
    await withAuth(async (auth) => {
      const u = await findUser(auth, login)
      await auth.clearThrottle(u.id, null)
      console.log(`${u.username} can log in again from any device (failed-login throttle cleared).`)
    })
  })

registerUserCommands(user, withAuth, findUser)

const keys = program.command('keys').description('manage JWT signing keys')

keys
  .command('rotate')
  .description('make a new signing key current; the previous one stays in the JWKS until its tokens expire')
  .action(async () => {
    await withAuth(async (auth) => {
      if (!auth.tokens)
        throw new AuthError('CONFIG_INVALID', { message: 'Tokens are disabled (tokens.enabled = false).' })
      const { kid, alg } = await auth.tokens.rotateKeys()
      const { keys: published } = await auth.tokens.jwks()
      console.log(`New signing key ${kid} (${alg}); the JWKS now publishes ${published.length} key(s).`)
    })
  })

keys
  .command('list')
  .description('list the published signing keys')
  .action(async () => {
    await withAuth(async (auth) => {
      const { keys: published } = (await auth.tokens?.jwks()) ?? { keys: [] }
      if (published.length === 0)
        console.log('No signing keys yet: one is made at the first start of the server.')
      for (const k of published) console.log(`${k.kid}  ${k.alg}`)
    })
  })

program
  .command('doctor')
  .description('check the configuration; exits non-zero on a production problem')
  .action(async () => {
    const c = config()
    const findings = diagnose(c)
    // The SMTP server is asked too (a mailer that cannot connect fails every reset mail).
    if (c.smtpUrl) {
      const mailer = createSmtpMailer(c.smtpUrl, c.mailFrom)
      const problem = await smtpProblem(mailer)
      mailer.close?.()
      findings.push(
        problem
          ? { level: serverMode(c) === 'production' ? 'error' : 'warn', item: 'smtp', message: `${problem}.` }
          : { level: 'ok', item: 'smtp', message: 'the SMTP server answers.' },
      )
    }
    for (const f of findings)
      console.log(
        `${f.level === 'ok' ? ' ok ' : f.level === 'warn' ? 'WARN' : 'FAIL'}  ${f.item}: ${f.message}`,
      )
    if (findings.some((f) => f.level === 'error')) process.exitCode = 1
  })

export { program }

program.parseAsync(process.argv).catch((caught: unknown) => {
  const error =
    caught instanceof StoreConfigError ? new AuthError('CONFIG_INVALID', { message: caught.message }) : caught
  const message = error instanceof AuthError ? error.message : ((error as Error)?.message ?? String(error))
  console.error(`gatehouse: ${message}`)
  if (error instanceof AuthError && error.fields) {
    for (const [name, problem] of Object.entries(error.fields)) console.error(`  ${name}: ${problem}`)
  }
  process.exit(error instanceof AuthError && error.code === 'CONFIG_INVALID' ? 78 : 1)
})
