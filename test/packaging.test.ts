/**
 * The package as a user gets it: `npm pack`, the tarball installed into a fresh `npm init -y`
 * project (no tsx, no TypeScript), the README's quick starts written out as `.js` files and
 * run with plain `node`, driven over HTTP; then the same project type-checks the README's
 * examples as TypeScript under `tsc --init`'s defaults with `skipLibCheck: false`.
 *
 * Slow (an npm install): runs in CI (`CI` set, `.ci/run`) or with GATEHOUSE_PACKAGING=1.
 * The install uses the npm cache and `--ignore-scripts`; better-sqlite3's binary is copied
 * from this checkout's build, as its install would download a prebuilt one (its compile is
 * exercised by `.ci/run`'s Node 22 and 24 legs, which `npm ci` from scratch).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const enabled = !!process.env.CI || process.env.GATEHOUSE_PACKAGING === '1'
const repo = join(dirname(new URL(import.meta.url).pathname), '..')
const readme = readFileSync(join(repo, 'README.md'), 'utf8')
const requireHere = createRequire(import.meta.url)
const tsc = join(dirname(requireHere.resolve('typescript/package.json')), 'bin/tsc')
const PASSWORD = 'correct horse battery staple'

/** The code block after `<!-- quickstart:NAME -->` in README.md. */
function quickStart(name: string): string {
  const m = new RegExp(`<!-- quickstart:${name} -->\\s*\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(readme)
  if (!m) throw new Error(`README.md has no quickstart:${name} block`)
  return m[1]!
}

/** npm without the variables `npm test` exports (they would point it at this repository). */
function npm(args: string[], cwd: string, input?: string): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)))
  return execFileSync('npm', args, { cwd, env, encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

/** Runs `file` with node in its own working directory (its own ./data), until the port answers. */
async function runApp(project: string, file: string, code: string) {
  const port = await freePort()
  writeFileSync(join(project, file), code.replaceAll('3000', String(port)))
  const cwd = join(project, `${file}.run`)
  mkdirSync(cwd, { recursive: true })
  const child: ChildProcess = spawn(process.execPath, [join(project, file)], {
    cwd,
    env: { ...process.env, NODE_ENV: '', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const origin = `http://localhost:${port}`
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${file} exited: ${output}`)
    try {
      await fetch(`${origin}/private`)
      break
    } catch {
      if (i > 300) throw new Error(`${file} never listened: ${output}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return { origin, cwd, output: () => output, stop: () => child.kill('SIGKILL') }
}

/** A client of the running app: JSON, the session cookie, the app's Origin. */
function http(origin: string) {
  let cookie = ''
  return async (method: string, path: string, init: { json?: unknown; bearer?: string } = {}) => {
    const headers: Record<string, string> = { origin }
    if (cookie && !init.bearer) headers.cookie = cookie
    if (init.bearer) headers.authorization = `Bearer ${init.bearer}`
    if (init.json !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(`${origin}${path}`, {
      method,
      headers,
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    })
    const set = res.headers.getSetCookie().find((c) => /^gh_session=/.test(c))
    if (set) cookie = set.split(';')[0]!
    return res
  }
}

/** sign-up → protected route → login (tokens) → protected route → logout, as the README shows. */
async function signUpLogInLogOut(origin: string) {
  const call = http(origin)
  expect((await call('GET', '/private')).status).toBe(401)
  const bad = await call('POST', '/auth/api/auth/signup', { json: { email: 'nope', username: 'ada' } })
  expect(bad.status).toBe(400)
  expect((await bad.json()).error.code).toBe('VALIDATION_FAILED')
  const signup = await call('POST', '/auth/api/auth/signup', {
    json: { email: 'ada@example.com', username: 'ada', password: PASSWORD },
  })
  expect(signup.status).toBe(201)
  expect(await (await call('GET', '/private')).text()).toBe('Hello ada')

  const login = await call('POST', '/auth/api/auth/login', { json: { login: 'ada', password: PASSWORD } })
  expect(login.status).toBe(200)
  const { access_token } = (await login.json()) as { access_token: string }
  expect(await (await call('GET', '/private', { bearer: access_token })).text()).toBe('Hello ada')
  expect((await call('POST', '/auth/api/auth/logout', { json: {}, bearer: access_token })).status).toBe(204)
  expect((await call('GET', '/private', { bearer: access_token })).status).toBe(401)
  // The browser session ends too (every session and token of the user).
  expect((await call('POST', '/auth/api/auth/logout-all')).status).toBe(204)
  expect((await call('GET', '/private')).status).toBe(401)
}

describe.skipIf(!enabled)('the npm package, installed from its tarball into a fresh project', () => {
  let work: string
  let project: string
  let files: string[]

  beforeAll(() => {
    // dist/ is fresh (test/helpers/build-dist.ts); packing without `prepare` leaves it in place for
    // the suites running beside this one.
    work = mkdtempSync(join(tmpdir(), 'gatehouse-pack-'))
    const [packed] = JSON.parse(
      npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], repo),
    ) as {
      filename: string
      files: { path: string }[]
    }[]
    files = packed!.files.map((f) => f.path)
    project = join(work, 'app')
    mkdirSync(project)
    npm(['init', '-y'], project)
    npm(['pkg', 'set', 'type=module'], project)
    npm(
      [
        'install',
        join(work, packed!.filename),
        'hono',
        '@hono/node-server',
        'express',
        '@types/node',
        '@types/express',
        '--ignore-scripts',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
      ],
      project,
    )
    // What better-sqlite3's install would fetch: the binary for this Node and platform.
    const built = join(dirname(requireHere.resolve('better-sqlite3/package.json')), 'build')
    cpSync(built, join(project, 'node_modules/better-sqlite3/build'), { recursive: true })
  }, 600_000)

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('ships the compiled code, its types and the CLI: no tests, benchmarks, CI or sources', () => {
    expect(files).toContain('dist/index.js')
    expect(files).toContain('dist/index.d.ts')
    expect(files).toContain('dist/entries/hono.js')
    expect(files).toContain('dist/server/static/app.css')
    expect(files).toContain('bin/gatehouse.js')
    const unexpected = files.filter((f) => !/^(dist\/|bin\/|README\.md$|LICENSE$|package\.json$)/.test(f))
    expect(unexpected).toEqual([])
    expect(
      files.filter((f) => /(^|\/)(test|tests|bench|\.ci|src|examples|scripts)\/|\.test\./.test(f)),
    ).toEqual([])
    expect(files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toBe(false)
  })

  it("runs the README's Hono quick start with node: sign-up, login, protected route, logout", async () => {
    const app = await runApp(project, 'hono-app.js', quickStart('hono'))
    try {
      await signUpLogInLogOut(app.origin)
      // `npx gatehouse user create` writes the database the app reads (one default: ./data/gatehouse.db).
      npm(
        [
          'exec',
          '--no',
          '--',
          'gatehouse',
          'user',
          'create',
          '--email',
          'bo@example.com',
          '--username',
          'bob',
        ],
        app.cwd,
        `${PASSWORD}\n`,
      )
      const login = await http(app.origin)('POST', '/auth/api/auth/login', {
        json: { login: 'bob', password: PASSWORD },
      })
      expect(login.status).toBe(200)
    } finally {
      app.stop()
    }
  })

  it("runs the README's Express quick start with node: sign-up, login, protected route, logout", async () => {
    const app = await runApp(project, 'express-app.js', quickStart('express'))
    try {
      await signUpLogInLogOut(app.origin)
    } finally {
      app.stop()
    }
  })

  it("type-checks the README's examples as TypeScript under tsc --init's defaults, skipLibCheck off", () => {
    const typed = (name: string) => `${quickStart(name)}\nexport {}\n`
    writeFileSync(
      join(project, 'hono-app.ts'),
      `${typed('hono')}
app.get('/typed', loginRequired(), (c) => {
  const user = c.get('user')
  // @ts-expect-error the user is typed (User | null), not any
  const wrong: number = user
  return c.text(String(wrong) + (user?.email ?? ''))
})
`,
    )
    writeFileSync(
      join(project, 'express-app.ts'),
      `${typed('express')}
app.get('/typed', loginRequired(), (req, res) => {
  // @ts-expect-error the user is typed (User | null | undefined), not any
  const wrong: number = req.user
  res.send(String(wrong) + (req.user?.email ?? ''))
})
`,
    )
    const handler = /```ts\n(\/\/ app\/api\/auth\/\[\.\.\.all\]\/route\.ts[\s\S]*?)```/.exec(readme)![1]!
    writeFileSync(join(project, 'route.ts'), handler)
    // No tsconfig of ours: the one `tsc --init` writes, with skipLibCheck turned off.
    execFileSync(process.execPath, [tsc, '--init'], { cwd: project })
    const config = readFileSync(join(project, 'tsconfig.json'), 'utf8')
    expect(config).toMatch(/"skipLibCheck": true/)
    writeFileSync(
      join(project, 'tsconfig.json'),
      config.replace(/"skipLibCheck": true/, '"skipLibCheck": false'),
    )
    const check = (compiler: string) => {
      try {
        execFileSync(process.execPath, [compiler, '--noEmit', '-p', project], {
          cwd: project,
          encoding: 'utf8',
        })
        return ''
      } catch (error) {
        return `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`
      }
    }
    // TypeScript 7 (this repository's) and TypeScript 5, which most projects still use.
    expect(check(tsc)).toBe('')
    npm(['install', '--save-dev', 'typescript@5', '--prefer-offline', '--no-audit', '--no-fund'], project)
    expect(check(join(project, 'node_modules/typescript/bin/tsc'))).toBe('')
  }, 300_000)
})
