import { randomBytes } from 'node:crypto'
import { AuthError } from '../../../errors.ts'
import { utf8ByteLength } from './bytes.ts'
import { hashPassword } from './hash.ts'
import { LoginTiming } from './login-timing.ts'
import { type Argon2Params, checkInteger, DEFAULT_MAX_PASSWORD_BYTES, resolveArgon2Params } from './params.ts'
import { AdmissionQueue } from './queue.ts'
import { type VerifyResult, verifyPassword } from './verify.ts'

export interface PasswordHasherOptions extends Partial<Argon2Params> {
  /** Hashes at once; 2 leaves half of libuv's 4 threads for file and DNS work. */
  concurrency?: number
  /** Hash requests allowed to wait; past this, OVERLOADED at once. */
  maxWaiting?: number
  /** Longer passwords are refused with PASSWORD_TOO_LONG before any hashing. */
  maxBytes?: number
}

/**
 * The one way the rest of Gatehouse hashes and checks passwords: argon2id with the configured
 * parameters, every call behind one admission queue, and oversized input refused up front.
 */
export class PasswordHasher {
  readonly params: Readonly<Argon2Params>
  readonly maxBytes: number
  /** Public so metrics (and tests) can see `active` and `waiting`. */
  readonly queue: AdmissionQueue
  #dummy: Promise<string> | undefined
  /** Pads login checks to the slowest stored hash format (see login-timing.ts). */
  readonly timing: LoginTiming

  constructor(options: PasswordHasherOptions = {}) {
    this.params = Object.freeze(resolveArgon2Params(options))
    const { memoryCost: m, timeCost: t, parallelism: p } = this.params
    this.timing = new LoginTiming(
      (password, stored) => this.verify(password, stored),
      `$argon2id$v=19$m=${m},t=${t},p=${p}$`,
    )
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_PASSWORD_BYTES
    checkInteger('maxBytes', this.maxBytes, 256)
    this.queue = new AdmissionQueue({
      concurrency: options.concurrency ?? 2,
      maxWaiting: options.maxWaiting ?? 32,
    })
  }

  /** A PHC argon2id string for storage. */
  async hash(password: string): Promise<string> {
    this.#checkInput(password)
    return this.queue.run(() => hashPassword(password, this.params))
  }

  /** `needsRehash` is true for any legacy scheme and for argon2 with other parameters. */
  async verify(password: string, stored: string): Promise<VerifyResult> {
    this.#checkInput(password)
    return this.queue.run(() => verifyPassword(password, stored, this.params))
  }

  /**
   * Costs what `verify` costs for a current-policy hash, and never matches. Call it when the
   * account does not exist (or has no password) so that timing does not tell.
   */
  async verifyDummy(password: string): Promise<{ valid: false; needsRehash: false }> {
    this.#checkInput(password)
    await this.queue.run(async () => verifyPassword(password, await this.#dummyHash(), this.params))
    return { valid: false, needsRehash: false }
  }

  /**
   * The password check of a login: the stored hash, or the dummy when the account does not
   * exist or has no password; either way it takes at least `timing.floorMs`, so neither a
   * missing account nor the scheme of an imported hash shows in the answer's timing.
   */
  async verifyLogin(password: string, stored: string | null): Promise<VerifyResult> {
    const startedAt = performance.now()
    const result = stored ? await this.verify(password, stored) : await this.verifyDummy(password)
    if (stored) this.timing.observe(stored, performance.now() - startedAt)
    await this.timing.pad(startedAt)
    return result
  }

  // Called before the queue is touched, so oversized input costs no hashing and no slot.
  #checkInput(password: string): void {
    if (typeof password !== 'string') throw new AuthError('BAD_REQUEST')
    if (password.length > this.maxBytes || utf8ByteLength(password) > this.maxBytes) {
      throw new AuthError('PASSWORD_TOO_LONG')
    }
  }

  /** A hash of a random secret nobody knows, made once with the current parameters. */
  #dummyHash(): Promise<string> {
    this.#dummy ??= hashPassword(randomBytes(32).toString('base64url'), this.params).catch(
      (error: unknown) => {
        this.#dummy = undefined
        throw error
      },
    )
    return this.#dummy
  }
}
