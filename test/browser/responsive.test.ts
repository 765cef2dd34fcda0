/**
 * Every page at a phone (390×844) and a desktop (1280×800) size, light and dark: nothing
 * scrolls sideways (and no table scrolls inside its box, so every action is on screen), no
 * serious or critical axe-core violation, no CSP violation. Then a keyboard-only journey
 * (sign-up → login → change password → logout) with a visible focus ring at every stop.
 * One Chromium for it all; screenshots go to test-artifacts/screenshots/responsive/, and
 * with GATEHOUSE_DOCS_SCREENSHOTS=1 the README's go to docs/screenshots/.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type BrowserWorld, hasChromium, startWorld } from './setup.ts'

const SHOTS = join(process.cwd(), 'test-artifacts', 'screenshots', 'responsive')
const DOCS = join(process.cwd(), 'docs', 'screenshots')
const PASSWORD = 'correct horse battery staple'
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const
const SCHEMES = ['light', 'dark'] as const

const run = await hasChromium()

describe.runIf(run)('every page, phone and desktop, light and dark', () => {
  let w: BrowserWorld
  const problems: string[] = []

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    w = await startWorld()
    const root = await w.auth.signUp({ email: 'root@example.com', username: 'root', password: PASSWORD })
    await w.auth.setRoles(root.id, ['user', 'admin'], null)
    // A user with a long address, to see it wrap at its dots, not mid-word.
    await w.auth.signUp({
      email: 'margaret.hamilton.apollo.guidance@software-engineering.example.com',
      username: 'margaret',
      name: 'Margaret Hamilton',
      password: PASSWORD,
    })
  })

  afterAll(async () => {
    await w?.close()
  })

  beforeEach(() => {
    problems.length = 0
  })

  async function context(viewport: { width: number; height: number }, scheme: 'light' | 'dark') {
    const ctx = await w.browser.newContext({ viewport, colorScheme: scheme })
    ctx.setDefaultTimeout(8000)
    ctx.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`)
    })
    return ctx
  }

  /** Overflow, tables scrolling in their box, axe (serious/critical); a screenshot. */
  async function check(page: Page, name: string): Promise<void> {
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      inner: window.innerWidth,
      boxes: [...document.querySelectorAll('.table-wrap, article, main')]
        .filter((el) => el.scrollWidth > el.clientWidth + 1)
        .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${el.scrollWidth}>${el.clientWidth}`),
    }))
    if (widths.scroll > widths.inner)
      problems.push(`${name}: page ${widths.scroll}px wide in ${widths.inner}px`)
    for (const box of widths.boxes) problems.push(`${name}: ${box} scrolls sideways`)
    await page.evaluate(AXE)
    const violations = await page.evaluate(async () => {
      // biome-ignore lint/suspicious/noExplicitAny: axe is injected above
      const axe = (window as any).axe
      const result = await axe.run(document, { resultTypes: ['violations'] })
      return (result.violations as { id: string; impact: string; nodes: { target: string[] }[] }[])
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
    })
    for (const v of violations) problems.push(`${name}: axe ${v}`)
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
  }

  async function logIn(page: Page, login: string): Promise<void> {
    await page.goto(`${w.base}/login`)
    await page.getByLabel('Username or email').fill(login)
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.waitForURL(`${w.base}/dashboard`)
  }

  async function visitAll(ctx: BrowserContext, tag: string): Promise<void> {
    const page = await ctx.newPage()
    const visit = async (path: string, name: string) => {
      await page.goto(`${w.base}${path}`)
      await check(page, `${tag}-${name}`)
    }
    await visit('/', 'home')
    await visit('/login', 'login')
    await visit('/signup', 'signup')
    // Sign-up with every field wrong: all errors at once.
    await page.getByLabel('Email').fill('not-an-address')
    await page.getByLabel('Username').fill('x')
    await page.getByLabel('Password', { exact: true }).fill('short')
    await page.getByLabel('Confirm password').fill('other')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByText('The passwords do not match.').waitFor()
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('email')
    await check(page, `${tag}-signup-errors`)
    await visit('/forgot-password', 'forgot-password')
    await visit('/reset-password?token=not-a-real-token-at-all', 'reset-password-invalid')
    await visit('/no-such-page', 'not-found')

    await logIn(page, 'root')
    await check(page, `${tag}-dashboard`)
    // The admin's Logout link is on screen (not pushed off to the right).
    const logout = await page.getByRole('link', { name: 'Logout' }).boundingBox()
    expect(logout && logout.x + logout.width).toBeLessThanOrEqual(page.viewportSize()!.width)
    await visit('/profile', 'profile')
    await visit('/profile/api-keys', 'api-keys')
    await page.getByLabel('Name', { exact: true }).fill('A deploy key with a rather long descriptive name')
    await page.getByLabel('Scopes').fill('read write:users deploy')
    await page.getByRole('button', { name: 'Create API key' }).click()
    await page.waitForURL(`${w.base}/profile/api-keys#new-key`)
    const key = page.getByLabel('Your new API key')
    // The whole key is visible in its box, and there is a copy button.
    const fits = await key.evaluate(
      (el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight,
    )
    expect(fits).toBe(true)
    await page.getByRole('button', { name: 'Copy' }).waitFor()
    await check(page, `${tag}-api-key-created`)
    // A reload neither re-posts the form nor shows the key again.
    await page.reload()
    expect(await page.getByLabel('Your new API key').count()).toBe(0)
    await visit('/profile/delete', 'delete-account')
    await visit('/admin', 'admin')
    await page.getByRole('link', { name: 'margaret' }).click()
    await page.waitForURL(/\/admin\/users\//)
    await check(page, `${tag}-admin-user`)
    await visit('/admin/audit', 'admin-audit')
    await visit('/logout', 'logout')
    // The confirmation's two choices are the same size.
    const yes = await page.getByRole('button', { name: 'Log out' }).boundingBox()
    const no = await page.getByRole('link', { name: 'Cancel' }).boundingBox()
    expect(Math.abs(yes!.height - no!.height)).toBeLessThanOrEqual(1)
    expect(Math.abs(yes!.width - no!.width)).toBeLessThanOrEqual(1)
    await page.close()
  }

  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    for (const scheme of SCHEMES) {
      it(`${size}, ${scheme}`, { timeout: 120_000 }, async () => {
        const ctx = await context(viewport, scheme)
        try {
          await visitAll(ctx, `${size}-${scheme}`)
        } finally {
          await ctx.close()
        }
        expect(problems).toEqual([])
      })
    }
  }

  it('the narrowest phone (320 px) and a wide screen (1440 px) do not scroll sideways either', {
    timeout: 60_000,
  }, async () => {
    for (const width of [320, 1440]) {
      const ctx = await context({ width, height: 800 }, 'light')
      const page = await ctx.newPage()
      for (const path of ['/', '/login', '/signup']) {
        await page.goto(`${w.base}${path}`)
        const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
        if (over > 0) problems.push(`${width}px ${path}: ${over}px too wide`)
      }
      await logIn(page, 'root')
      for (const path of [
        '/dashboard',
        '/profile',
        '/profile/api-keys',
        '/profile/delete',
        '/admin',
        '/admin/audit',
      ]) {
        await page.goto(`${w.base}${path}`)
        const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
        if (over > 0) problems.push(`${width}px ${path}: ${over}px too wide`)
      }
      await ctx.close()
    }
    expect(problems).toEqual([])
  })

  it('keyboard only: sign up → log in → change password → log out, the focus always visible', {
    timeout: 60_000,
  }, async () => {
    const ctx = await context(VIEWPORTS.desktop, 'light')
    const page = await ctx.newPage()
    const kb = page.keyboard

    /** Tabs (at most 40 times) until the focused element matches; checks its focus ring. */
    async function tabTo(what: string, matches: string): Promise<void> {
      for (let i = 0; i < 40; i++) {
        await kb.press('Tab')
        const found = await page.evaluate(
          (selector) => document.activeElement?.matches(selector) ?? false,
          matches,
        )
        if (found) {
          const ring = await page.evaluate(() => {
            const s = getComputedStyle(document.activeElement!)
            return s.outlineStyle !== 'none' && Number.parseFloat(s.outlineWidth) >= 2
          })
          if (!ring) problems.push(`keyboard: no visible focus on ${what}`)
          return
        }
      }
      throw new Error(`keyboard: never reached ${what}`)
    }

    await page.goto(w.base)
    await tabTo('the sign-up link', 'a[href="/signup"]')
    await kb.press('Enter')
    await page.waitForURL(`${w.base}/signup`)
    // The email field has the focus when the page opens.
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'email')
    await kb.type('kim@example.com')
    await tabTo('username', '[name=username]')
    await kb.type('kim')
    await tabTo('password', '[name=password]')
    await kb.type(PASSWORD)
    // The strength meter (zxcvbn-ts, loaded as local modules under the CSP) rates it.
    await page.locator('#f-password-strength', { hasText: /^Strength: (Good|Strong)\.$/ }).waitFor()
    await tabTo('the show-password button', '[data-password-toggle][aria-controls=f-password]')
    await kb.press('Enter')
    expect(await page.getByLabel('Password', { exact: true }).getAttribute('type')).toBe('text')
    await tabTo('confirm password', '[name=confirm_password]')
    await kb.type(PASSWORD)
    await kb.press('Enter')
    await page.waitForURL(`${w.base}/dashboard`)
    await check(page, 'keyboard-dashboard')

    await tabTo('the logout link', 'a[href="/logout"]')
    await kb.press('Enter')
    await page.waitForURL(`${w.base}/logout`)
    await tabTo('the log-out button', 'form[action="/logout"] button[type=submit]')
    await kb.press('Enter')
    await page.waitForURL(/\/login\?signed_out=1$/)

    // The login field has the focus (waited for: autofocus lands once the page has rendered).
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'login')
    await kb.type('kim')
    await tabTo('password', '[name=password]')
    await kb.type(PASSWORD)
    await kb.press('Enter')
    await page.waitForURL(`${w.base}/dashboard`)

    await tabTo('the profile link', 'nav a[href="/profile"]')
    await kb.press('Enter')
    await page.waitForURL(`${w.base}/profile`)
    const next = 'kim picked a new long passphrase'
    await tabTo('current password', '[name=current_password]')
    await kb.type(PASSWORD)
    await tabTo('new password', '[name=new_password]')
    await kb.type(next)
    await tabTo('confirm new password', '[name=confirm_password]')
    await kb.type(next)
    await kb.press('Enter')
    await page.getByText('Your password has been changed').waitFor()

    await tabTo('the logout link', 'a[href="/logout"]')
    await kb.press('Enter')
    await page.waitForURL(`${w.base}/logout`)
    await tabTo('the log-out button', 'form[action="/logout"] button[type=submit]')
    await kb.press('Enter')
    await page.waitForURL(/\/login\?signed_out=1$/)
    await ctx.close()
    expect(problems).toEqual([])
  })

  it('README screenshots (GATEHOUSE_DOCS_SCREENSHOTS=1 copies them to docs/screenshots/)', () => {
    if (!process.env.GATEHOUSE_DOCS_SCREENSHOTS) return
    mkdirSync(DOCS, { recursive: true })
    for (const name of [
      'desktop-light-login',
      'desktop-dark-login',
      'phone-light-login',
      'phone-dark-login',
      'desktop-light-admin',
      'phone-dark-profile',
    ])
      copyFileSync(join(SHOTS, `${name}.png`), join(DOCS, `${name}.png`))
  })
})
