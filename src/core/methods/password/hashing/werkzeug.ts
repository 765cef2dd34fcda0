import { createHmac, pbkdf2, type ScryptOptions, scrypt } from 'node:crypto'
import { bytesEqual, decodeLowerHex } from './bytes.ts'
import { STORED_HASH_LIMITS } from './params.ts'

/**
 * Werkzeug's `generate_password_hash` format: `<method>$<salt>$<hex digest>`, the salt used as
 * its UTF-8 text. Methods: `pbkdf2:<hash>:<iterations>`, `scrypt:<N>:<r>:<p>`, and the salted
 * HMAC forms `sha256`/`sha1`/`md5` that only Werkzeug < 2.3 made. The unsalted (`sha256$$hex`)
 * and `plain` forms are refused: they were never safe, and such accounts should reset.
 */
export type ParsedWerkzeug =
  | { scheme: 'werkzeug-pbkdf2'; digest: Digest; iterations: number; salt: string; expected: Uint8Array }
  | { scheme: 'werkzeug-scrypt'; n: number; r: number; p: number; salt: string; expected: Uint8Array }
  | { scheme: 'werkzeug-hmac'; digest: Digest | 'md5'; salt: string; expected: Uint8Array }

type Digest = keyof typeof DIGEST_BYTES
const DIGEST_BYTES = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 } as const
const HMAC_BYTES = { ...DIGEST_BYTES, md5: 16 } as const

/** Werkzeug 3's meaning of `pbkdf2:<hash>` written without an iteration count. */
const WERKZEUG_DEFAULT_PBKDF2_ITERATIONS = 1_000_000
const SCRYPT_KEY_BYTES = 64
const POSITIVE_INT = /^[1-9]\d{0,9}$/

export function parseWerkzeug(stored: string): ParsedWerkzeug | null {
  const parts = stored.split('$')
  if (parts.length !== 3) return null
  const [method, salt, hex] = parts as [string, string, string]
  // Werkzeug 2.2 raises on an empty salt and 3.x never verifies one.
  if (salt === '') return null
  const [name, ...args] = method.split(':')

  if (name === 'pbkdf2') {
    if (args.length > 2) return null
    const digest = args[0] ?? 'sha256'
    if (!Object.hasOwn(DIGEST_BYTES, digest)) return null
    const iterations = args[1] === undefined ? WERKZEUG_DEFAULT_PBKDF2_ITERATIONS : toInt(args[1])
    if (iterations === null || iterations > STORED_HASH_LIMITS.pbkdf2Iterations) return null
    const expected = decodeLowerHex(hex, DIGEST_BYTES[digest as Digest])
    return expected && { scheme: 'werkzeug-pbkdf2', digest: digest as Digest, iterations, salt, expected }
  }

  if (name === 'scrypt') {
    // Bare `scrypt` is Werkzeug 3's default, 2^15:8:1.
    const [n, r, p] = args.length === 0 ? [32768, 8, 1] : args.length === 3 ? args.map(toInt) : []
    if (!n || !r || !p || (n & (n - 1)) !== 0 || n < 2) return null
    if (scryptMemory(n, r, p) > STORED_HASH_LIMITS.scryptMemoryBytes) return null
    const expected = decodeLowerHex(hex, SCRYPT_KEY_BYTES)
    return expected && { scheme: 'werkzeug-scrypt', n, r, p, salt, expected }
  }

  if (args.length === 0 && name !== undefined && Object.hasOwn(HMAC_BYTES, name)) {
    const digest = name as keyof typeof HMAC_BYTES
    const expected = decodeLowerHex(hex, HMAC_BYTES[digest])
    return expected && { scheme: 'werkzeug-hmac', digest, salt, expected }
  }
  return null
}

/** PBKDF2 and scrypt run on the libuv pool; the salted HMAC is one cheap call. */
export async function verifyWerkzeug(password: Uint8Array, parsed: ParsedWerkzeug): Promise<boolean> {
  const salt = Buffer.from(parsed.salt, 'utf8')
  let actual: Buffer
  switch (parsed.scheme) {
    case 'werkzeug-pbkdf2':
      actual = await pbkdf2Async(password, salt, parsed.iterations, parsed.expected.length, parsed.digest)
      break
    case 'werkzeug-scrypt':
      actual = await scryptAsync(password, salt, SCRYPT_KEY_BYTES, {
        N: parsed.n,
        r: parsed.r,
        p: parsed.p,
        // Node's default cap (32 MiB) is just below what Werkzeug's 32768:8:1 needs.
        maxmem: scryptMemory(parsed.n, parsed.r, parsed.p) + 1024 * 1024,
      })
      break
    case 'werkzeug-hmac':
      actual = createHmac(parsed.digest, salt).update(password).digest()
      break
  }
  return bytesEqual(actual, parsed.expected)
}

function toInt(text: string | undefined): number | null {
  return text !== undefined && POSITIVE_INT.test(text) ? Number(text) : null
}

/** scrypt's working memory: 128·N·r for V plus 128·r·p for B (Werkzeug budgets 132·N·r·p). */
function scryptMemory(n: number, r: number, p: number): number {
  return 128 * n * r + 128 * r * p
}

function pbkdf2Async(password: Uint8Array, salt: Buffer, iterations: number, bytes: number, digest: string) {
  return new Promise<Buffer>((resolve, reject) =>
    pbkdf2(password, salt, iterations, bytes, digest, (error, key) => (error ? reject(error) : resolve(key))),
  )
}

function scryptAsync(password: Uint8Array, salt: Buffer, bytes: number, options: ScryptOptions) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, bytes, options, (error, key) => (error ? reject(error) : resolve(key))),
  )
}
