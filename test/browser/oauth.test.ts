/**
 * Sign-in with a provider as a person does it, in Debian's Chromium: the real server on a
 * socket (SQLite in a temp dir) and a real oidc-provider, both on 127.0.0.1. Click
 * "Continue with Test IdP", consent at the provider's own page, land on the dashboard; then
 * link a second provider from the profile.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadServerConfig } from '../../src/server/config.ts'
import { type RunningServer, startServer } from '../../src/server/serve.ts'
import { type Idp, startIdp } from '../helpers/oidc-provider.ts'
import { requireService } from '../helpers/services.ts'

import { CHROMIUM, CHROMIUM_ARGS } from './setup.ts'

const SHOTS = join(process.cwd(), 'test-artifacts', 'screenshots')
const hasChromium = await requireService('Chromium', async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install -y chromium)`)
})

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

describe.runIf(hasChromium)('sign-in with a provider in a browser', () => {
  let dir: string
  let idp: Idp
  let running: RunningServer
  let base: string
  let browser: Browser

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-oauth-browser-'))
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    idp = await startIdp({
      clients: [
        {
          client_id: 'gh-test',
          client_secret: 'test-secret-0123456789',
          redirect_uris: [`${base}/auth/oauth/test/callback`],
        },
        {
          client_id: 'gh-corp',
          client_secret: 'corp-secret-0123456789',
          redirect_uris: [`${base}/auth/oauth/corp/callback`],
        },
      ],
      accounts: {
        alice: { email: 'alice@example.com', email_verified: true, name: 'Alice Liddell' },
        'alice-at-corp': { email: 'alice@corp.example', email_verified: true, name: 'Alice Liddell' },
      },
    })
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
        auth: { password: { memoryCost: 8192, timeCost: 1 } },
        oauth: {
          OIDC_TEST_ISSUER: idp.issuer,
          OIDC_TEST_CLIENT_ID: 'gh-test',
          OIDC_TEST_CLIENT_SECRET: 'test-secret-0123456789',
          OIDC_TEST_LABEL: 'Test IdP',
          OIDC_CORP_ISSUER: idp.issuer,
          OIDC_CORP_CLIENT_ID: 'gh-corp',
          OIDC_CORP_CLIENT_SECRET: 'corp-secret-0123456789',
        },
      },
    )
    running = await startServer(config, () => {})
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  })

  afterAll(async () => {
    await browser?.close()
    await running?.stop(1000)
    await idp?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('continues with the provider, consents there, lands signed in, then links a second provider', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 850 } })
    ctx.setDefaultTimeout(8000)
    const csp: string[] = []
    ctx.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) csp.push(m.text())
    })
    const page = await ctx.newPage()
    await page.goto(`${base}/login`)
    await page.screenshot({ path: join(SHOTS, 'oauth-login.png'), fullPage: true })
    await page.getByRole('link', { name: 'Continue with Test IdP' }).click()

    // The provider's own page.
    await page.waitForURL((url) => url.href.startsWith(`${idp.issuer}/interaction/`))
    await page.getByLabel('Account').fill('alice')
    await page.getByRole('button', { name: 'Allow' }).click()

    await page.waitForURL(`${base}/dashboard`)
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('Alice Liddell')

    await page.goto(`${base}/profile`)
    await page.getByRole('button', { name: 'Link Corp' }).click()
    await page.waitForURL((url) => url.href.startsWith(`${idp.issuer}/interaction/`))
    await page.getByLabel('Account').fill('alice-at-corp')
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.waitForURL(`${base}/profile`)
    await page.getByRole('button', { name: 'Unlink Corp' }).waitFor()
    await page.getByRole('button', { name: 'Unlink Test IdP' }).waitFor()
    await page.screenshot({ path: join(SHOTS, 'oauth-profile-linked.png'), fullPage: true })
    expect(csp).toEqual([])
    await ctx.close()
  })
})
