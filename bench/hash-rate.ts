/**
 * The hashing limit the login rate is compared with: password checks per second through the
 * server's own hasher (default argon2id parameters and concurrency, its hashing threads), no
 * HTTP. Usage: `node --import tsx bench/hash-rate.ts <seconds>`; prints one JSON line.
 */
import { randomBytes } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import type { createAuth as CreateAuth } from '../src/core/auth.ts'
import type { createMemoryStores as CreateMemoryStores } from '../src/stores/memory/index.ts'

// BENCH_SERVE_ROOT: the hasher of the checkout under test (a before/after comparison).
const root = process.env.BENCH_SERVE_ROOT
  ? pathToFileURL(`${process.env.BENCH_SERVE_ROOT}/`)
  : new URL('../', import.meta.url)
const { createAuth } = (await import(new URL('src/core/auth.ts', root).href)) as {
  createAuth: typeof CreateAuth
}
const { createMemoryStores } = (await import(new URL('src/stores/memory/index.ts', root).href)) as {
  createMemoryStores: typeof CreateMemoryStores
}

const seconds = Number(process.argv[2] ?? 5)
const auth = await createAuth({
  secret: randomBytes(32).toString('base64url'),
  publicUrl: 'http://127.0.0.1:8000',
  stores: createMemoryStores(),
})
const hasher = auth.passwords
const password = 'Bench-passw0rd-7f3a9c2e'
const stored = await hasher.hash(password)
await hasher.verify(password, stored) // warm the threads
const deadline = performance.now() + seconds * 1000
let checks = 0
const startedAt = performance.now()
await Promise.all(
  Array.from({ length: hasher.queue.concurrency }, async () => {
    while (performance.now() < deadline) {
      await hasher.verify(password, stored)
      checks++
    }
  }),
)
const elapsed = (performance.now() - startedAt) / 1000
process.stdout.write(
  `${JSON.stringify({ perSecond: checks / elapsed, concurrency: hasher.queue.concurrency, params: hasher.params })}\n`,
)
await auth.close()
process.exit(0)
