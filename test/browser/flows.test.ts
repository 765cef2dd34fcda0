/**
 * What a person does, in Debian's Chromium (playwright-core) against the real server
 * (startServer: a socket, SQLite in a temp dir, mail over SMTP to an smtp-server started
 * here). Screenshots of each page go to test-artifacts/screenshots/ for a reviewer.
 *
 * Without /usr/bin/chromium the suite is skipped loudly, or fails under CI
 * (`apt-get install -y chromium`).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { SMTPServer } from 'smtp-server'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Auth } from '../../src/core/auth.ts'
import { loadServerConfig } from '../../src/server/config.ts'
import { type RunningServer, startServer } from '../../src/server/serve.ts'
import { requireService } from '../helpers/services.ts'

import { CHROMIUM, CHROMIUM_ARGS } from './setup.ts'

const SHOTS = join(process.cwd(), 'test-artifacts', 'screenshots')
const PASSWORD = 'correct horse battery staple'

const hasChromium = await requireService('Chromium', async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install -y chromium)`)
})

interface ReceivedMail {
  to: string[]
  raw: string
}

/** Decodes what nodemailer's quoted-printable does to a link: soft line breaks and `=3D`. */
function decodeQuotedPrintable(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=3D/gi, '=')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

describe.runIf(hasChromium)('the product in a browser', () => {
  let dir: string
  let smtp: SMTPServer
  const inbox: ReceivedMail[] = []
  let running: RunningServer
  let base: string
  let auth: Auth
  let browser: Browser
  /** Content-Security-Policy violations reported by any page (there must be none). */
  const cspViolations: string[] = []

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-browser-'))

    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = []
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => {
          inbox.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          })
          callback()
        })
      },
    })
    const smtpPort = await new Promise<number>((resolve) => {
      smtp.listen(0, '127.0.0.1', () => resolve((smtp.server.address() as { port: number }).port))
    })

    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    const config = loadServerConfig(
      {},
      {
        mode: 'test',
        host: '127.0.0.1',
        port,
        publicUrl: base,
        secret: 'browser-test-secret-0123456789abcdef-xyz',
        dataDir: dir,
        databaseUrl: `sqlite:${join(dir, 'gatehouse.db')}`,
        smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
        mailFrom: 'Gatehouse <no-reply@example.com>',
        auth: { password: { memoryCost: 8192, timeCost: 1 } },
      },
    )
    running = await startServer(config, () => {})
    auth = running.gatehouse.services.auth

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  })

  afterAll(async () => {
    await browser?.close()
    await running?.stop(1000)
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()))
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  afterEach(() => {
    expect(cspViolations).toEqual([])
  })

  // ---------------------------------------------------------------- helpers

  async function context(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 850 }, ...options })
    // Fail fast with the step that did not happen, well inside the test timeout.
    ctx.setDefaultTimeout(8000)
    ctx.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text())
    })
    return ctx
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
  }

  async function waitForMail(to: string, link: RegExp): Promise<string> {
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      for (const mail of inbox) {
        if (!mail.to.includes(to)) continue
        const found = link.exec(decodeQuotedPrintable(mail.raw))
        if (found) {
          inbox.splice(inbox.indexOf(mail), 1)
          return found[0]
        }
      }
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`no mail to ${to} matching ${link}`)
  }

  const linkTo = (path: string) =>
    new RegExp(`${base.replace(/[.]/g, '\\.')}${path.replace('?', '\\?')}\\?token=[A-Za-z0-9_-]{43}`)

  async function createUser(username: string, roles?: string[]): Promise<void> {
    const user = await auth.signUp({ email: `${username}@example.com`, username, password: PASSWORD })
    if (roles) await auth.setRoles(user.id, roles, null)
  }

  async function logIn(page: Page, login: string, password = PASSWORD, remember = false): Promise<void> {
    await page.goto(`${base}/login`)
    await page.getByLabel('Username or email').fill(login)
    await page.getByLabel('Password', { exact: true }).fill(password)
    if (remember) await page.getByLabel('Remember me for 30 days').check()
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.waitForURL(`${base}/dashboard`)
  }

  // ---------------------------------------------------------------- journeys

  it('signs up (after fixing a mistake), sees the dashboard, confirms the email', async () => {
    const ctx = await context()
    const page = await ctx.newPage()
    await page.goto(base)
    await expect(page.title()).resolves.toBe('Welcome · Gatehouse')
    await shot(page, 'home')

    await page.getByRole('link', { name: 'Create an account' }).click()
    await page.waitForURL(`${base}/signup`)
    await page.getByLabel('Email').fill('alice@example.com')
    await page.getByLabel('Username').fill('alice')
    await page.getByLabel('Full name').fill('Alice Liddell')
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await page.getByLabel('Confirm password').fill('a different passphrase')
    await shot(page, 'signup')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByText('The passwords do not match.').waitFor()
    // Values survive; passwords do not.
    expect(await page.getByLabel('Email').inputValue()).toBe('alice@example.com')
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('')
    expect(await page.getByLabel('Confirm password').getAttribute('aria-invalid')).toBe('true')
    await shot(page, 'signup-error')

    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await page.getByLabel('Confirm password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.waitForURL(`${base}/dashboard`)
    await page.getByRole('heading', { name: 'Welcome, Alice Liddell' }).waitFor()
    await page.getByText('Your account is ready').waitFor()
    await shot(page, 'dashboard')

    const link = await waitForMail('alice@example.com', linkTo('/verify-email'))
    await page.goto(link)
    await page.getByRole('button', { name: 'Confirm my email' }).click()
    await page.getByRole('heading', { name: 'Your email is confirmed' }).waitFor()
    await shot(page, 'verify-email')
    await page.goto(`${base}/profile`)
    await page.getByText('verified', { exact: true }).waitFor()
    await ctx.close()
  })

  it('logs in with remember-me, closes the browser, reopens it from the saved state and is still in', async () => {
    await createUser('bob')
    const first = await context()
    const page = await first.newPage()
    await page.goto(`${base}/login`)
    await shot(page, 'login')
    await logIn(page, 'bob', PASSWORD, true)
    const state = await first.storageState()
    const session = state.cookies.find((c) => c.name === 'gh_session')!
    expect(session.httpOnly).toBe(true)
    expect(session.sameSite).toBe('Lax')
    // Remember me: a persistent cookie (30 days), not a browser-session cookie.
    expect(session.expires).toBeGreaterThan(Date.now() / 1000 + 29 * 86400)
    await first.close()

    const again = await context({ storageState: state })
    const reopened = await again.newPage()
    await reopened.goto(`${base}/dashboard`)
    expect(reopened.url()).toBe(`${base}/dashboard`)
    await reopened.getByRole('heading', { name: 'Welcome, bob' }).waitFor()
    await again.close()
  })

  it('changes the password in one browser and the other browser’s session dies; then logs out', async () => {
    await createUser('carol')
    const laptopCtx = await context()
    const phoneCtx = await context({
      userAgent:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
    })
    const laptop = await laptopCtx.newPage()
    const phone = await phoneCtx.newPage()
    await logIn(laptop, 'carol')
    await logIn(phone, 'carol')

    await laptop.goto(`${base}/profile`)
    await laptop.getByText('Mobile Safari on iOS').waitFor()
    await laptop.getByText('this device').waitFor()
    await shot(laptop, 'profile')
    const newPassword = 'carol has a new long passphrase'
    await laptop.getByLabel('Current password').fill(PASSWORD)
    await laptop.getByLabel('New password', { exact: true }).fill(newPassword)
    await laptop.getByLabel('Confirm new password').fill(newPassword)
    await laptop.getByRole('button', { name: 'Change password' }).click()
    await laptop.getByText('Your password has been changed').waitFor()
    await shot(laptop, 'profile-password-changed')

    // The phone is thrown out on its next navigation; the laptop carries on (rotated session).
    await phone.goto(`${base}/dashboard`)
    await phone.waitForURL(`${base}/login?next=%2Fdashboard`)
    await laptop.goto(`${base}/dashboard`)
    expect(laptop.url()).toBe(`${base}/dashboard`)

    await laptop.getByRole('link', { name: 'Logout' }).click()
    await laptop.waitForURL(`${base}/logout`)
    await shot(laptop, 'logout')
    await laptop.getByRole('button', { name: 'Log out' }).click()
    await laptop.waitForURL(`${base}/login?signed_out=1`)
    await laptop.getByText('You have been logged out.').waitFor()
    expect((await laptopCtx.cookies()).some((c) => c.name === 'gh_session')).toBe(false)
    await laptop.goto(`${base}/dashboard`)
    await laptop.waitForURL(`${base}/login?next=%2Fdashboard`)
    await laptopCtx.close()
    await phoneCtx.close()
  })

  it('resets a forgotten password through the mail and logs in with the new one', async () => {
    await createUser('dave')
    const ctx = await context()
    const page = await ctx.newPage()
    await page.goto(`${base}/login`)
    await page.getByRole('link', { name: 'Forgot password?' }).click()
    await page.waitForURL(`${base}/forgot-password`)
    await page.getByLabel('Email').fill('dave@example.com')
    await shot(page, 'forgot-password')
    await page.getByRole('button', { name: 'Send reset link' }).click()
    await page.getByRole('heading', { name: 'Check your email' }).waitFor()
    await shot(page, 'forgot-password-sent')

    const link = await waitForMail('dave@example.com', linkTo('/reset-password'))
    expect(link.startsWith(`${base}/reset-password?token=`)).toBe(true)
    const response = await page.goto(link)
    expect(response?.headers()['referrer-policy']).toBe('no-referrer')
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor()
    await shot(page, 'reset-password')
    const newPassword = 'dave remembers this one now'
    await page.getByLabel('New password', { exact: true }).fill(newPassword)
    await page.getByLabel('Confirm new password').fill(newPassword)
    await page.getByRole('button', { name: 'Set new password' }).click()
    await page.waitForURL(`${base}/login`)
    await page.getByText('Your password has been changed').waitFor()
    await shot(page, 'login-after-reset')

    // The link worked once.
    await page.goto(link)
    await page.getByRole('heading', { name: 'This link is invalid or has expired' }).waitFor()
    await shot(page, 'reset-password-invalid')

    await logIn(page, 'dave@example.com', newPassword)
    await page.getByRole('heading', { name: 'Welcome, dave' }).waitFor()
    await ctx.close()
  })

  it('a non-admin gets 403 on /admin; an admin deactivates a user who is thrown out at once', async () => {
    await createUser('root', ['user', 'admin'])
    await createUser('erin')
    const erinCtx = await context()
    const erin = await erinCtx.newPage()
    await logIn(erin, 'erin')
    const denied = await erin.goto(`${base}/admin`)
    expect(denied?.status()).toBe(403)
    await erin.getByRole('heading', { name: 'Access denied' }).waitFor()
    await shot(erin, 'admin-forbidden')

    const adminCtx = await context()
    const admin = await adminCtx.newPage()
    await logIn(admin, 'root')
    await admin.getByRole('link', { name: 'Admin' }).click()
    await admin.waitForURL(`${base}/admin`)
    await shot(admin, 'admin')
    await admin.getByRole('searchbox', { name: 'Search users' }).fill('erin')
    await admin.getByRole('button', { name: 'Search' }).click()
    // The filters ride along (empty role and status, the default order).
    await admin.waitForURL(/\/admin\?q=erin&/)
    await admin.getByRole('button', { name: 'Deactivate erin' }).click()
    await admin.getByText('erin has been deactivated and signed out everywhere.').waitFor()
    expect(admin.url()).toBe(`${base}/admin?q=erin`)
    await shot(admin, 'admin-deactivated')

    await erin.goto(`${base}/dashboard`)
    await erin.waitForURL(`${base}/login?next=%2Fdashboard`)

    // The self-protection shows as a message, and the audit log tells the story.
    await admin.goto(`${base}/admin?q=root`)
    await admin.getByRole('button', { name: 'Deactivate root' }).click()
    await admin.getByText('You cannot deactivate your own account.').waitFor()
    await admin.getByRole('link', { name: 'Audit log' }).click()
    await admin.waitForURL(`${base}/admin/audit`)
    await admin.locator('tr[data-event="user.deactivate"]').first().waitFor()
    await shot(admin, 'admin-audit')

    const missing = await admin.goto(`${base}/no-such-page`)
    expect(missing?.status()).toBe(404)
    await shot(admin, 'not-found')
    await erinCtx.close()
    await adminCtx.close()
  })
})
