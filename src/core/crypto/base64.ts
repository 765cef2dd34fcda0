/**
 * Strict base64 decoders. Node's Buffer.from(text, 'base64') skips characters it does not
 * know, so it would accept tokens with junk in them; these check the whole text first.
 */

// Both alphabets, '=' padding required: what Python's base64.urlsafe_b64decode accepts,
// minus the junk characters and trailing data it silently skips (one token, one spelling).
const PADDED = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}==|[A-Za-z0-9+/_-]{3}=)?$/
const URL_NOPAD = /^[A-Za-z0-9_-]*$/

/** Padded base64 (url-safe or standard alphabet) to bytes; undefined when malformed. */
export function decodePadded(text: string): Buffer | undefined {
  if (typeof text !== 'string' || !PADDED.test(text)) return undefined
  return Buffer.from(text, 'base64')
}

/** Bytes to url-safe base64 WITH '=' padding, as Python's base64.urlsafe_b64encode writes. */
export function encodeUrlPadded(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
  return text + '='.repeat((4 - (text.length % 4)) % 4)
}

/** Unpadded url-safe base64 to bytes; undefined when malformed (wrong alphabet or an impossible length). */
export function decodeUrlNoPad(text: string): Buffer | undefined {
  if (typeof text !== 'string' || !URL_NOPAD.test(text) || text.length % 4 === 1) return undefined
  return Buffer.from(text, 'base64url')
}
