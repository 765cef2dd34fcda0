/**
 * A real server (startServer: socket, SQLite in a temp dir, mail over SMTP to an smtp-server
 * started here) and one Chromium, for the browser suites. Without /usr/bin/chromium the
 * suite is skipped loudly, or fails under CI.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { SMTPServer } from 'smtp-server'
import type { Auth } from '../../src/core/auth.ts'
import { loadServerConfig } from '../../src/server/config.ts'
import { type RunningServer, startServer } from '../../src/server/serve.ts'
import { requireService } from '../helpers/services.ts'

export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export const hasChromium = () =>
  requireService('Chromium', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install -y chromium)`)
  })

export interface Mail {
  to: string[]
  raw: string
}

export interface BrowserWorld {
  base: string
  auth: Auth
  browser: Browser
  inbox: Mail[]
  close(): Promise<void>
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

/** Starts the SMTP sink, the server (extra settings merged in) and Chromium. */
export async function startWorld(settings: Record<string, unknown> = {}): Promise<BrowserWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-browser-'))
  mkdirSync(dir, { recursive: true })
  const inbox: Mail[] = []
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        inbox.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString(),
        })
        callback()
      })
    },
  })
  const smtpPort = await new Promise<number>((resolve) => {
    smtp.listen(0, '127.0.0.1', () => resolve((smtp.server.address() as { port: number }).port))
  })
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
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
      ...settings,
    },
  )
  const running: RunningServer = await startServer(config, () => {})
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  return {
    base,
    auth: running.gatehouse.services.auth,
    browser,
    inbox,
    close: async () => {
      await browser.close()
      await running.stop(1000)
      await new Promise<void>((resolve) => smtp.close(() => resolve()))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
