import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { AuthError } from '../errors.ts'
import { decodePadded, encodeUrlPadded } from './base64.ts'
import { type Clock, nowSeconds } from './clock.ts'
import { InvalidToken } from './invalid-token.ts'

/**
 * Fernet (https://github.com/fernet/spec), byte-compatible with Python's
 * `cryptography.fernet`: tokens made here decrypt there and the other way round.
 *
 * token = base64url_padded( 0x80 ‖ u64be(unix seconds) ‖ iv[16] ‖ AES-128-CBC-PKCS7(data) ‖ HMAC-SHA256 )
 * key   = base64url_padded( signing key[16] ‖ encryption key[16] )
 *
 * Only the token's shape (base64, lengths) is looked at before its MAC is checked in constant
 * time; version, timestamp and ciphertext are read after, and nothing unauthenticated is
 * ever decrypted, so there is no padding oracle. Every failure is InvalidToken.
 */

const VERSION = 0x80
const HEADER_BYTES = 1 + 8 + 16
const MAC_BYTES = 32
const BLOCK_BYTES = 16
/** Python's _MAX_CLOCK_SKEW: a token dated more than this in the future is refused (when a ttl is given). */
const MAX_CLOCK_SKEW_SECONDS = 60
const KEY_MESSAGE = 'Fernet key must be 32 url-safe base64-encoded bytes (Fernet.generateKey() makes one).'

export interface FernetOptions {
  /** Injectable for tests; the token timestamp and the ttl check read it. */
  clock?: Clock
}

export interface FernetDecryptOptions {
  /** Seconds. When set, a token older than this, or dated more than 60 s ahead, is invalid. Without it neither is checked (as in Python). */
  ttl?: number
}

interface Keys {
  signing: Buffer
  encryption: Buffer
}

interface Opened {
  timestamp: bigint
  plaintext: Buffer
}

// Fernet's keys stay out of reach of callers (no property to log or serialise), but
// MultiFernet.rotate needs the raw open/seal steps, hence a module-private map.
const keysOf = new WeakMap<Fernet, Keys>()

function parseKey(key: unknown): Keys {
  const raw = typeof key === 'string' ? decodePadded(key) : undefined
  if (raw?.length !== 32) throw new AuthError('CONFIG_INVALID', { message: KEY_MESSAGE })
  return { signing: raw.subarray(0, 16), encryption: raw.subarray(16) }
}

function toBytes(data: string | Uint8Array): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8')
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  throw new TypeError('Fernet: data must be a string or a Uint8Array')
}

function toTimestamp(time: number): bigint {
  if (!Number.isSafeInteger(time) || time < 0)
    throw new RangeError('Fernet: time must be a non-negative integer number of seconds')
  return BigInt(time)
}

function checkTtl(ttl: number): void {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0)
    throw new RangeError('Fernet: ttl must be a non-negative number of seconds')
}

function seal(keys: Keys, data: Buffer, timestamp: bigint, iv: Uint8Array): string {
  if (iv.length !== 16) throw new RangeError('Fernet: the IV must be 16 bytes')
  const cipher = createCipheriv('aes-128-cbc', keys.encryption, iv)
  const ciphertext = Buffer.concat([cipher.update(data), cipher.final()])
  const header = Buffer.alloc(9)
  header[0] = VERSION
  header.writeBigUInt64BE(timestamp, 1)
  const body = Buffer.concat([header, iv, ciphertext])
  const mac = createHmac('sha256', keys.signing).update(body).digest()
  return encodeUrlPadded(Buffer.concat([body, mac]))
}

function wellFormed(raw: Buffer | undefined): raw is Buffer {
  return (
    raw !== undefined &&
    raw.length >= HEADER_BYTES + BLOCK_BYTES + MAC_BYTES &&
    (raw.length - HEADER_BYTES - MAC_BYTES) % BLOCK_BYTES === 0
  )
}

/**
 * Whether `token` has a Fernet token's shape (base64, lengths, version byte), without any
 * key. Lets the passphrase formats refuse garbage before paying for PBKDF2.
 */
export function isWellFormedToken(token: unknown): boolean {
  const raw = typeof token === 'string' ? decodePadded(token) : undefined
  return wellFormed(raw) && raw[0] === VERSION
}

/** Authenticates the token, then decrypts it. `now` is given only when a ttl is to be checked. */
function open(keys: Keys, token: unknown, ttl?: number, now?: number): Opened {
  const raw = typeof token === 'string' ? decodePadded(token) : undefined
  if (!wellFormed(raw)) throw new InvalidToken()
  const body = raw.subarray(0, raw.length - MAC_BYTES)
  const expected = createHmac('sha256', keys.signing).update(body).digest()
  // The version byte is covered by the MAC; it is read only once the token is known authentic.
  if (!timingSafeEqual(expected, raw.subarray(raw.length - MAC_BYTES)) || raw[0] !== VERSION)
    throw new InvalidToken()
  const timestamp = raw.readBigUInt64BE(1)
  if (ttl !== undefined && now !== undefined) {
    const created = Number(timestamp)
    if (created + ttl < now || created > now + MAX_CLOCK_SKEW_SECONDS) throw new InvalidToken()
  }
  try {
    const decipher = createDecipheriv('aes-128-cbc', keys.encryption, raw.subarray(9, HEADER_BYTES))
    const plaintext = Buffer.concat([
      decipher.update(raw.subarray(HEADER_BYTES, body.length)),
      decipher.final(),
    ])
    return { timestamp, plaintext }
  } catch {
    // Bad PKCS7 padding under a valid MAC: only the key holder can make one. Still generic.
    throw new InvalidToken()
  }
}

function asView(bytes: Buffer): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function asText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes)
  } catch {
    throw new InvalidToken()
  }
}

/**
 * For the spec's fixed-IV vectors only: the token for `data` at `time` with this `iv`.
 * Never reuse an IV with one key in real use; Fernet.encrypt draws a fresh one.
 */
export function encryptFromParts(
  key: string,
  data: string | Uint8Array,
  time: number,
  iv: Uint8Array,
): string {
  return seal(parseKey(key), toBytes(data), toTimestamp(time), iv)
}

export class Fernet {
  readonly #clock: Clock

  /** A new random key: 32 CSPRNG bytes as padded url-safe base64 (44 characters), like Fernet.generate_key(). */
  static generateKey(): string {
    return encodeUrlPadded(randomBytes(32))
  }

  /** `key` as Fernet.generateKey() (or Python's) writes it; anything else throws CONFIG_INVALID. */
  constructor(key: string, options: FernetOptions = {}) {
    keysOf.set(this, parseKey(key))
    this.#clock = options.clock ?? Date.now
  }

  get #keys(): Keys {
    return keysOf.get(this)!
  }

  encrypt(data: string | Uint8Array): string {
    return this.encryptAtTime(data, nowSeconds(this.#clock))
  }

  /** `time` in unix seconds is written as the token's timestamp; the IV is random. */
  encryptAtTime(data: string | Uint8Array, time: number): string {
    return seal(this.#keys, toBytes(data), toTimestamp(time), randomBytes(16))
  }

  decrypt(token: string, options: FernetDecryptOptions = {}): Uint8Array {
    if (options.ttl === undefined) return asView(open(this.#keys, token).plaintext)
    return this.decryptAtTime(token, options.ttl, nowSeconds(this.#clock))
  }

  /** Decrypts as if the time were `time` (unix seconds), checking `ttl` seconds and the 60 s skew. */
  decryptAtTime(token: string, ttl: number, time: number): Uint8Array {
    checkTtl(ttl)
    return asView(open(this.#keys, token, ttl, time).plaintext)
  }

  /** decrypt, then UTF-8 (a plaintext that is not UTF-8 is InvalidToken too). */
  decryptText(token: string, options: FernetDecryptOptions = {}): string {
    return asText(this.decrypt(token, options))
  }

  /** The token's creation time in unix seconds, given only once the whole token verifies (as extract_timestamp). */
  extractTimestamp(token: string): number {
    return Number(open(this.#keys, token).timestamp)
  }
}

/**
 * Key rotation: encrypts with the first Fernet, decrypts with whichever one fits, and
 * `rotate` re-encrypts a token under the first key keeping its original timestamp (so a
 * ttl still counts from the first encryption), as Python's MultiFernet does.
 */
export class MultiFernet {
  readonly #fernets: readonly Fernet[]

  constructor(fernets: readonly Fernet[]) {
    if (!Array.isArray(fernets) || fernets.length === 0 || !fernets.every((f) => f instanceof Fernet))
      throw new AuthError('CONFIG_INVALID', {
        message: 'MultiFernet needs a non-empty list of Fernet instances.',
      })
    this.#fernets = [...fernets]
  }

  encrypt(data: string | Uint8Array): string {
    return this.#fernets[0]!.encrypt(data)
  }

  encryptAtTime(data: string | Uint8Array, time: number): string {
    return this.#fernets[0]!.encryptAtTime(data, time)
  }

  decrypt(token: string, options: FernetDecryptOptions = {}): Uint8Array {
    return this.#first((f) => f.decrypt(token, options))
  }

  decryptAtTime(token: string, ttl: number, time: number): Uint8Array {
    return this.#first((f) => f.decryptAtTime(token, ttl, time))
  }

  decryptText(token: string, options: FernetDecryptOptions = {}): string {
    return asText(this.decrypt(token, options))
  }

  rotate(token: string): string {
    const opened = this.#first((f) => open(keysOf.get(f)!, token))
    return seal(keysOf.get(this.#fernets[0]!)!, opened.plaintext, opened.timestamp, randomBytes(16))
  }

  /** The first answer of the keys in order; InvalidToken only when none fits (other errors pass through). */
  #first<T>(attempt: (f: Fernet) => T): T {
    for (const f of this.#fernets) {
      try {
        return attempt(f)
      } catch (error) {
        if (!(error instanceof InvalidToken)) throw error
      }
    }
    throw new InvalidToken()
  }
}
