import { timingSafeEqual } from 'node:crypto'

/**
 * The password's UTF-8 bytes, exactly as typed: no normalisation, trimming or case folding.
 * Every verifier uses these same bytes, so the byte caps and the hash agree. A lone surrogate
 * (not well-formed UTF-16) becomes U+FFFD here, the same as the argon2 binding would do.
 */
export function utf8(password: string): Buffer {
  return Buffer.from(password, 'utf8')
}

/**
 * UTF-8 size of a string. Every UTF-16 unit is at least one UTF-8 byte, so a string whose
 * `length` is already over a cap is rejected without walking it.
 */
export function utf8ByteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/** Constant-time equality; unequal lengths are unequal (the length of a digest is no secret). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

const LOWER_HEX = /^(?:[0-9a-f]{2})+$/

/** Decodes lowercase hex of exactly `bytes` bytes; anything else is null. */
export function decodeLowerHex(hex: string, bytes: number): Buffer | null {
  return hex.length === bytes * 2 && LOWER_HEX.test(hex) ? Buffer.from(hex, 'hex') : null
}
