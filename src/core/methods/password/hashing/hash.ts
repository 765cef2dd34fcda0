import type { Algorithm } from '@node-rs/argon2'
import { utf8 } from './bytes.ts'
import { argon2Hash } from './low-priority.ts'
import { type Argon2Params, DEFAULT_ARGON2_PARAMS } from './params.ts'

// The binding's `Algorithm` is an ambient const enum, which `verbatimModuleSyntax` cannot read
// at runtime; spell the value, typed by the enum so a renumbering would fail to compile.
const ARGON2ID: Algorithm.Argon2id = 2 as Algorithm.Argon2id

/**
 * argon2id v19 with a random 16-byte salt and a 32-byte tag, as a PHC string. Runs on a
 * low-priority hashing thread (low-priority.ts). No length checks here: callers go through `PasswordHasher`, which caps input first.
 */
export function hashPassword(
  password: string,
  params: Argon2Params = DEFAULT_ARGON2_PARAMS,
): Promise<string> {
  return argon2Hash(utf8(password), {
    algorithm: ARGON2ID,
    memoryCost: params.memoryCost,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
    outputLen: 32,
  })
}
