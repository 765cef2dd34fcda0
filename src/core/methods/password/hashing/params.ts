import { AuthError } from '../../../errors.ts'

/** argon2id cost parameters, as @node-rs/argon2 names them. */
export interface Argon2Params {
  /** KiB of memory per hash. */
  memoryCost: number
  /** Passes over memory. */
  timeCost: number
  /** Lanes. */
  parallelism: number
}

/** OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): the policy new hashes are made with. */
export const DEFAULT_ARGON2_PARAMS: Readonly<Argon2Params> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
})

/** Hard cap on a password's UTF-8 size, checked before any hashing work (4 bytes x 1024 code points). */
export const DEFAULT_MAX_PASSWORD_BYTES = 4096

/**
 * Upper bounds for parameters read from a *stored* hash. A stored string is data (it may come
 * from an import), so it must not be able to pin a thread for minutes or allocate gigabytes.
 * Each is far above what any real deployment uses.
 */
export const STORED_HASH_LIMITS = Object.freeze({
  maxLength: 1024,
  argon2MemoryKiB: 1024 * 1024,
  argon2TimeCost: 64,
  argon2Parallelism: 64,
  bcryptCost: 16,
  pbkdf2Iterations: 10_000_000,
  scryptMemoryBytes: 256 * 1024 * 1024,
})

/** Fills in defaults and fails closed on nonsense, naming the option. */
export function resolveArgon2Params(options: Partial<Argon2Params> = {}): Argon2Params {
  const params: Argon2Params = {
    memoryCost: options.memoryCost ?? DEFAULT_ARGON2_PARAMS.memoryCost,
    timeCost: options.timeCost ?? DEFAULT_ARGON2_PARAMS.timeCost,
    parallelism: options.parallelism ?? DEFAULT_ARGON2_PARAMS.parallelism,
  }
  checkInteger('parallelism', params.parallelism, 1, 255)
  // argon2 needs at least 8 KiB per lane.
  checkInteger('memoryCost', params.memoryCost, 8 * params.parallelism, STORED_HASH_LIMITS.argon2MemoryKiB)
  checkInteger('timeCost', params.timeCost, 1, STORED_HASH_LIMITS.argon2TimeCost)
  return params
}

export function checkInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new AuthError('CONFIG_INVALID', {
      message: `password.${name} must be an integer from ${min} to ${max}; got ${String(value)}`,
    })
  }
}
