/**
 * Runs test/fixtures/fernet_roundtrip.py under Debian's /usr/bin/python3 with
 * python3-cryptography, for the round trips with Python. `havePythonCryptography()`
 * follows requireService: a loud skip locally, a failure under CI.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { requireService } from './services.ts'

const run = promisify(execFile)
const PYTHON = '/usr/bin/python3'
const SCRIPT = fileURLToPath(new URL('../fixtures/fernet_roundtrip.py', import.meta.url))

export function havePythonCryptography(): Promise<boolean> {
  return requireService('python3-cryptography', async () => {
    await run(PYTHON, ['-c', 'import cryptography.fernet'], { timeout: 3000 })
  })
}

export type PythonRequest =
  | { op: 'fernet_encrypt'; key: string; data_b64: string }
  | { op: 'fernet_decrypt'; key: string; token: string; ttl?: number }
  | { op: 'flet_encrypt'; secret_key: string; plain_text: string; iterations: number }
  | { op: 'flet_decrypt'; secret_key: string; encrypted: string; iterations: number }

export interface PythonResult {
  token?: string
  data_b64?: string
  timestamp?: number
  encrypted?: string
  plain_text?: string
  error?: string
}

/** One Python process for the whole batch; answers in request order. */
export async function python(requests: PythonRequest[]): Promise<PythonResult[]> {
  const child = run(PYTHON, [SCRIPT], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 })
  child.child.stdin?.end(JSON.stringify(requests))
  const { stdout } = await child
  return JSON.parse(stdout) as PythonResult[]
}
