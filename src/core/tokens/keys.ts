import { exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8, type JWK } from 'jose'
import type { SigningKeyRecord, SigningKeyStore } from '../../stores/contracts.ts'
import type { Clock } from '../clock.ts'
import { randomToken } from '../crypto/random.ts'
import { createSecretBox, type SecretInput } from '../crypto/secretbox.ts'
import { AuthError } from '../errors.ts'
import { TOKEN_LIMITS } from '../options.ts'
import { SIGNING_ALGS, type SigningAlg, type VerificationKey } from './jws.ts'

/**
 * Signing keys: generated with jose, private half sealed under the server secret (bound
 * to its kid), cached in memory after the first load. One key is current (signs); retired
 * keys keep verifying — and stay in the JWKS — until every token they signed has expired.
 */
export interface KeyRingOptions {
  store: SigningKeyStore
  /** The current secret seals new keys; previous ones (a list) still open the keys they sealed. */
  secret: SecretInput
  clock: Clock
  /** Algorithm of newly generated keys. */
  alg: SigningAlg
  /** Longest lifetime of a token this ring signs, in seconds (access TTL + leeway). */
  maxTokenLifetime: number
  /**
   * How long (ms) the cached key list is trusted before it is re-read, and the least time
   * between reloads caused by an unknown kid. Also added to a retired key's life, because
   * another instance may sign with it for up to this long after a rotation.
   */
  cacheMs?: number
}

export interface SigningKey {
  kid: string
  alg: SigningAlg
  privateKey: CryptoKey
}

export interface KeyRing {
  /** The current key; the first call on an empty store creates one. */
  signingKey(): Promise<SigningKey>
  /** The key for a kid, if it may still verify; an unknown kid reloads the list at most once per `cacheMs`. */
  verificationKey(kid: string): Promise<VerificationKey | null>
  /** The live key of `kid` when the loaded list answers without a reload, else undefined (ask verificationKey). */
  verificationKeyNow(kid: string): VerificationKey | undefined
  /** Public JWKs of the current key and of retired keys that have not expired, newest first. */
  jwks(): Promise<{ keys: JWK[] }>
  /** Creates a new current key and retires the previous ones; expired keys are deleted. */
  rotate(): Promise<{ kid: string; alg: SigningAlg }>
  /** Another process changed the keys: the next call re-reads them (a failed re-read keeps the old list). */
  invalidate(): void
}

interface LoadedKey {
  record: SigningKeyRecord
  publicJwk: JWK
  verify: VerificationKey
}

interface Loaded {
  at: number
  /** Current first, then newest first. */
  keys: LoadedKey[]
}

/** Our kids are 22 base64url chars; anything else (paths, SQL, huge strings) is refused before any lookup. */
export const KID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/

export function createKeyRing(options: KeyRingOptions): KeyRing {
  return new SigningKeyRing(options)
}

const live = (k: LoadedKey, now: number) => k.record.expiresAt === null || k.record.expiresAt > now

/** Current (unretired) keys first, then newest; the kid breaks ties so every instance picks the same signer. */
function byPreference(a: LoadedKey, b: LoadedKey): number {
  const retired = (k: LoadedKey) => (k.record.retiredAt === null ? 0 : 1)
  return (
    retired(a) - retired(b) ||
    b.record.createdAt - a.record.createdAt ||
    (b.record.retiredAt ?? 0) - (a.record.retiredAt ?? 0) ||
    (a.record.kid < b.record.kid ? 1 : -1)
  )
}

class SigningKeyRing implements KeyRing {
  readonly #o: KeyRingOptions
  readonly #cacheMs: number
  #loaded: Loaded | null = null
  #loading: Promise<Loaded> | null = null
  #lastReload = Number.NEGATIVE_INFINITY
  #signer: { kid: string; key: Promise<SigningKey> } | null = null
  #bootstrapping: Promise<void> | null = null
  /** Bumped by invalidate(). */
  #changes = 0

  constructor(options: KeyRingOptions) {
    this.#o = options
    this.#cacheMs = options.cacheMs ?? TOKEN_LIMITS.keyCacheMs.default
    if (!SIGNING_ALGS.includes(options.alg))
      throw new AuthError('CONFIG_INVALID', { message: `tokens.alg: one of ${SIGNING_ALGS.join(', ')}` })
    // Fails at construction when the secret is unusable, not at the first login.
    createSecretBox(options.secret, 'signing-key:check')
  }

  #boxFor(kid: string) {
    return createSecretBox(this.#o.secret, `signing-key:${kid}`)
  }

  async #load(): Promise<Loaded> {
    const records = await this.#o.store.listSigningKeys()
    const keys: LoadedKey[] = []
    for (const record of records) {
      const publicJwk = JSON.parse(record.publicJwk) as JWK
      const key = await importJWK({ ...publicJwk, ext: false }, record.alg)
      if (key instanceof Uint8Array)
        throw new AuthError('CONFIG_INVALID', { message: 'signing key is symmetric' })
      keys.push({ record, publicJwk, verify: { alg: record.alg, key } })
    }
    keys.sort(byPreference)
    return { at: this.#o.clock(), keys }
  }

  #reload(): Promise<Loaded> {
    if (!this.#loading) {
      this.#lastReload = this.#o.clock()
      const changes = this.#changes
      this.#loading = this.#load()
        .then((l) => {
          // Invalidated while reading: the list may predate the change, so the next call reads again.
          this.#loaded = l
          if (changes !== this.#changes) this.invalidate()
          return l
        })
        .finally(() => {
          this.#loading = null
        })
    }
    return this.#loading
  }

  /** The loaded list is older than cacheMs, and no re-read was tried within cacheMs. */
  #due(loaded: Loaded, now: number): boolean {
    return now - loaded.at >= this.#cacheMs && now - this.#lastReload >= this.#cacheMs
  }

  /** The cached list, re-read when older than cacheMs; a failed re-read keeps the old list (tried again after cacheMs). */
  async #current(): Promise<Loaded> {
    const loaded = this.#loaded
    if (!loaded) return this.#reload()
    if (this.#due(loaded, this.#o.clock())) {
      try {
        return await this.#reload()
      } catch {
        return loaded
      }
    }
    return loaded
  }

  async #addKey(): Promise<SigningKeyRecord> {
    const { alg, clock, store } = this.#o
    const kid = randomToken(16)
    const pair = await generateKeyPair(alg, { extractable: true })
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' }
    const record: SigningKeyRecord = {
      kid,
      alg,
      publicJwk: JSON.stringify(publicJwk),
      privateKeyEncrypted: this.#boxFor(kid).seal(await exportPKCS8(pair.privateKey)),
      createdAt: clock(),
      retiredAt: null,
      expiresAt: null,
    }
    await store.addSigningKey(record)
    return record
  }

  async #unsealSigner(record: SigningKeyRecord): Promise<SigningKey> {
    let pem: string
    try {
      pem = this.#boxFor(record.kid).open(record.privateKeyEncrypted)
    } catch (cause) {
      throw new AuthError('CONFIG_INVALID', {
        message: 'A signing key cannot be decrypted: was the secret changed?',
        cause,
      })
    }
    return { kid: record.kid, alg: record.alg, privateKey: await importPKCS8(pem, record.alg) }
  }

  /** The newest unretired key; on an empty store the first one is made (once per process, however many ask). */
  async #newest(): Promise<LoadedKey> {
    const found = (await this.#current()).keys.find((k) => k.record.retiredAt === null)
    if (found) return found
    this.#bootstrapping ??= this.#addKey()
      .then(() => this.#reload())
      .then(() => undefined)
      .finally(() => {
        this.#bootstrapping = null
      })
    await this.#bootstrapping
    const created = this.#loaded!.keys.find((k) => k.record.retiredAt === null)
    if (!created) throw new AuthError('INTERNAL', { message: 'No signing key after creating one.' })
    return created
  }

  async signingKey(): Promise<SigningKey> {
    const newest = await this.#newest()
    if (this.#signer?.kid !== newest.record.kid) {
      const key = this.#unsealSigner(newest.record)
      this.#signer = { kid: newest.record.kid, key }
      key.catch(() => {
        if (this.#signer?.key === key) this.#signer = null
      })
    }
    return this.#signer!.key
  }

  verificationKeyNow(kid: string): VerificationKey | undefined {
    const loaded = this.#loaded
    const now = this.#o.clock()
    if (!loaded || this.#due(loaded, now)) return undefined
    const found = loaded.keys.find((k) => k.record.kid === kid)
    return found && live(found, now) ? found.verify : undefined
  }

  async verificationKey(kid: string): Promise<VerificationKey | null> {
    if (!KID_PATTERN.test(kid)) return null
    let l = await this.#current()
    let found = l.keys.find((k) => k.record.kid === kid)
    if (!found && this.#o.clock() - this.#lastReload >= this.#cacheMs) {
      // A kid we have not seen: maybe a rotation on another instance. One reload, then no more for cacheMs.
      l = await this.#reload().catch(() => l)
      found = l.keys.find((k) => k.record.kid === kid)
    }
    return found && live(found, this.#o.clock()) ? found.verify : null
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    const l = await this.#current()
    const now = this.#o.clock()
    return { keys: l.keys.filter((k) => live(k, now)).map((k) => ({ ...k.publicJwk })) }
  }

  invalidate(): void {
    this.#changes++
    if (this.#loaded) this.#loaded = { ...this.#loaded, at: Number.NEGATIVE_INFINITY }
    this.#lastReload = Number.NEGATIVE_INFINITY
  }

  async rotate(): Promise<{ kid: string; alg: SigningAlg }> {
    const { store, clock, maxTokenLifetime } = this.#o
    const before = await this.#reload()
    const record = await this.#addKey()
    const now = clock()
    const expiresAt = now + maxTokenLifetime * 1000 + this.#cacheMs
    for (const k of before.keys) {
      if (k.record.retiredAt === null) await store.retireSigningKey(k.record.kid, now, expiresAt)
      else if (k.record.expiresAt !== null && k.record.expiresAt <= now)
        await store.deleteSigningKey(k.record.kid)
    }
    await this.#reload()
    return { kid: record.kid, alg: record.alg }
  }
}
