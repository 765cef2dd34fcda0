import type { Command } from 'commander'
import type { Auth } from '../core/auth.ts'
import { AuthError } from '../core/errors.ts'
import type { User } from '../stores/contracts.ts'
import { readPassword } from './read-password.ts'

type WithAuth = (fn: (auth: Auth) => Promise<void>) => Promise<void>
type FindUser = (auth: Auth, login: string) => Promise<User>

/**
 * A new password: on a terminal asked twice (must match), else the first line of standard
 * input (scripts: `printf '%s\n' "$PW" | gatehouse user reset-password alice`).
 */
export async function readNewPassword(input: NodeJS.ReadStream = process.stdin): Promise<string> {
  const password = await readPassword('New password: ', input)
  if (!password) throw new AuthError('VALIDATION_FAILED', { fields: { password: 'Enter a password.' } })
  if (input.isTTY && (await readPassword('Repeat it: ', input)) !== password)
    throw new AuthError('VALIDATION_FAILED', { fields: { password: 'The two passwords do not match.' } })
  return password
}

const iso = (ms: number | null) =>
  ms === null ? 'never' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

/** Lines of a plain table: columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
}

/** `user list`, `user delete`, `user reset-password` (README "CLI"). */
export function registerUserCommands(user: Command, withAuth: WithAuth, findUser: FindUser): void {
  registerList(user, withAuth)
  registerDeleteAndReset(user, withAuth, findUser)
}

function registerList(user: Command, withAuth: WithAuth): void {
  user
    .command('list')
    .description('list users (a table, or --json)')
    .option('--json', 'print JSON')
    .option('-q, --query <text>', 'only users whose email, username or name contains it')
    .option('--role <role>', 'only users with this role')
    .action(async (opts: { json?: boolean; query?: string; role?: string }) => {
      await withAuth(async (auth) => {
        const users: User[] = []
        for (let offset = 0; ; offset += 500) {
          const page = await auth.users.listUsers({
            ...(opts.query ? { q: opts.query } : {}),
            ...(opts.role ? { role: opts.role } : {}),
            offset,
            limit: 500,
          })
          users.push(...page.users)
          if (users.length >= page.total || page.users.length === 0) break
        }
        if (opts.json) {
          const out = users.map((u) => ({
            id: u.id,
            username: u.username,
            email: u.email,
            name: u.name,
            roles: u.roles,
            active: u.active,
            last_login_at: u.lastLoginAt === null ? null : new Date(u.lastLoginAt).toISOString(),
          }))
          console.log(JSON.stringify(out, null, 2))
          return
        }
        if (users.length === 0) {
          console.log('No users.')
          return
        }
        const rows = users.map((u) => [
          u.username,
          u.email,
          u.roles.join(',') || '-',
          u.active ? 'active' : 'deactivated',
          iso(u.lastLoginAt),
        ])
        for (const l of table(['USERNAME', 'EMAIL', 'ROLES', 'STATUS', 'LAST LOGIN'], rows)) console.log(l)
        console.log(`${users.length} user${users.length === 1 ? '' : 's'}.`)
      })
    })
}

function registerDeleteAndReset(user: Command, withAuth: WithAuth, findUser: FindUser): void {
  user
    .command('delete')
    .description('delete a user and end every session, token and API key of it (never the last admin)')
    .argument('<login>', 'username or email')
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .action(async (login: string, opts: { yes?: boolean }) => {
      await withAuth(async (auth) => {
        const target = await findUser(auth, login)
        if (!opts.yes) {
          if (!process.stdin.isTTY)
            throw new AuthError('VALIDATION_FAILED', { message: 'Add --yes to delete without a terminal.' })
          const typed = await readPassword(`Type the username (${target.username}) to delete it: `)
          if (typed !== target.username) throw new AuthError('VALIDATION_FAILED', { message: 'Not deleted.' })
        }
        await auth.users.deleteUser(target.id, null, {}, { keepActiveAdmin: true })
        console.log(`Deleted ${target.username}; its sessions, tokens and API keys have ended.`)
      })
    })

  user
    .command('reset-password')
    .description(
      'set a new password (asked twice on a terminal, else read from standard input); ends every session',
    )
    .argument('<login>', 'username or email')
    .action(async (login: string) => {
      await withAuth(async (auth) => {
        const target = await findUser(auth, login)
        const password = await readNewPassword()
        await auth.setPassword(target, password)
        console.log(`New password set for ${target.username}; every session and token of it has ended.`)
      })
    })
}
