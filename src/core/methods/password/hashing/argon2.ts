import { argon2Verify } from './low-priority.ts'
import { type Argon2Params, STORED_HASH_LIMITS } from './params.ts'

export interface ParsedArgon2 {
  scheme: 'argon2id' | 'argon2i' | 'argon2d'
  /** 0x13 (19) or 0x10 (16); a PHC string without `v=` is 0x10. */
  version: 16 | 19
  memoryCost: number
  timeCost: number
  parallelism: number
}

// PHC string: $argon2<type>$v=<ver>$m=<KiB>,t=<passes>,p=<lanes>$<salt b64>$<hash b64>.
// Salt >= 8 bytes, tag >= 16 bytes (a shorter tag is guessable). Optional keyid/data fields are
// not accepted: nothing Gatehouse imports produces them.
const PHC =
  /^\$(argon2id|argon2i|argon2d)\$(?:v=(16|19)\$)?m=([1-9]\d{0,9}),t=([1-9]\d{0,9}),p=([1-9]\d{0,2})\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{22,}$/

/** Reads an argon2 PHC string, or null when it is not one we are willing to run. */
export function parseArgon2(stored: string): ParsedArgon2 | null {
  const m = PHC.exec(stored)
  if (!m) return null
  const parsed: ParsedArgon2 = {
    scheme: m[1] as ParsedArgon2['scheme'],
    version: m[2] === '19' ? 19 : 16,
    memoryCost: Number(m[3]),
    timeCost: Number(m[4]),
    parallelism: Number(m[5]),
  }
  const limits = STORED_HASH_LIMITS
  if (
    parsed.memoryCost > limits.argon2MemoryKiB ||
    parsed.timeCost > limits.argon2TimeCost ||
    parsed.parallelism > limits.argon2Parallelism
  ) {
    return null
  }
  return parsed
}

/** True when the hash is not argon2id v19 with exactly the current parameters. */
export function argon2NeedsRehash(parsed: ParsedArgon2, params: Argon2Params): boolean {
  return (
    parsed.scheme !== 'argon2id' ||
    parsed.version !== 19 ||
    parsed.memoryCost !== params.memoryCost ||
    parsed.timeCost !== params.timeCost ||
    parsed.parallelism !== params.parallelism
  )
}

/** Runs on a low-priority hashing thread (low-priority.ts); the type and parameters come from the PHC string itself. */
export async function verifyArgon2(password: Uint8Array, stored: string): Promise<boolean> {
  try {
    return (await argon2Verify(stored, password)) === true
  } catch {
    // The binding throws on strings it cannot decode: a bad stored hash, never a match.
    return false
  }
}
