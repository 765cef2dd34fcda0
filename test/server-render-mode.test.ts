/**
 * `gatehouse serve` shows pages without turning on promise hooks (src/server/pages/render-mode.ts):
 * hono/jsx would otherwise run each render in an AsyncLocalStorage, which on Node 20 and 22
 * turns promise hooks on for the life of the process and slows every later await.
 *
 * The probe: with promise hooks off, code after an `await` runs with executionAsyncId() 0;
 * with them on, each continuation has an id of its own.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { spawnGatehouse } from './helpers/processes.ts'

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-render-mode-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const PROBE = `import { executionAsyncId } from 'node:async_hooks'
export async function hooksOn() {
  const after = async () => { await null; return executionAsyncId() }
  return (await after()) !== 0 || (await after()) !== 0
}
`
const probeFile = join(dir, 'probe.mjs')
writeFileSync(probeFile, PROBE)
// Preloaded into the server: prints whether promise hooks are on when sent SIGWINCH.
const preload = join(dir, 'preload.mjs')
writeFileSync(
  preload,
  `import { hooksOn } from ${JSON.stringify(pathToFileURL(probeFile).href)}
process.on('SIGWINCH', async () => process.stdout.write('HOOKS ' + (await hooksOn()) + '\\n'))
`,
)

const nodeMajor = Number(process.versions.node.split('.')[0])

describe('pages without promise hooks', { timeout: 90_000 }, () => {
  it('the probe sees the hooks a plain hono/jsx render turns on (Node 20 and 22; Node 24 has none to turn on)', () => {
    const script = `import { jsx } from 'hono/jsx'
import { hooksOn } from ${JSON.stringify(pathToFileURL(probeFile).href)}
const before = await hooksOn()
String(jsx('i', {}))
console.log(JSON.stringify({ before, after: await hooksOn() }))`
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: process.cwd(),
    })
    expect(r.stderr).toBe('')
    const seen = JSON.parse(r.stdout) as { before: boolean; after: boolean }
    expect(seen.before).toBe(false)
    expect(seen.after).toBe(nodeMajor < 24)
  })

  it('gatehouse serve renders its pages and leaves promise hooks off', async () => {
    const server = await spawnGatehouse(
      { GATEHOUSE_DATA_DIR: join(dir, 'data'), GATEHOUSE_MODE: 'development' },
      { args: ['--import', pathToFileURL(preload).href, 'bin/gatehouse.js', 'serve', '--port', '0'] },
    )
    try {
      for (const path of ['/login', '/signup', '/']) {
        const res = await fetch(`${server.url}${path}`, { headers: { accept: 'text/html' } })
        expect([path, res.status]).toEqual([path, 200])
        expect(await res.text()).toMatch(/^<!doctype html><html lang="en">/)
      }
      const answer = new Promise<string>((resolve) => {
        const check = () => {
          const m = /HOOKS (true|false)/.exec(server.output().out)
          if (m) resolve(m[1]!)
          else setTimeout(check, 20)
        }
        check()
      })
      server.child.kill('SIGWINCH')
      expect(await answer).toBe('false')
    } finally {
      await server.kill()
    }
  })
})
