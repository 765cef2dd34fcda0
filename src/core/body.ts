import { AuthError } from './errors.ts'

/** Default cap for JSON bodies of auth endpoints: they are small by nature. */
export const MAX_JSON_BYTES = 64 * 1024

/**
 * Reads a JSON object body with a size cap, answering every malformed input with a 4xx:
 * wrong content type → 415, too large → 413, not JSON → 400 INVALID_JSON, not an object → 400,
 * a NUL character in any key or string → 400 VALIDATION_FAILED.
 */
export async function readJsonObject(
  request: Request,
  maxBytes = MAX_JSON_BYTES,
): Promise<Record<string, unknown>> {
  const type = request.headers.get('content-type') ?? ''
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) throw new AuthError('UNSUPPORTED_MEDIA_TYPE')
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (declared > maxBytes) throw new AuthError('PAYLOAD_TOO_LARGE')
  const text = await readCapped(request, maxBytes)
  let value: unknown
  let nul = false
  try {
    // The reviver sees every key and string: a NUL is flagged here, in the one pass of parsing.
    value = JSON.parse(text, (key, v) => {
      if (key.includes('\0') || (typeof v === 'string' && v.includes('\0'))) nul = true
      return v
    })
  } catch {
    throw new AuthError('INVALID_JSON')
  }
  if (nul) throw nulError()
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AuthError('INVALID_JSON', { message: 'The request body must be a JSON object.' })
  }
  return value as Record<string, unknown>
}

async function readCapped(request: Request, maxBytes: number): Promise<string> {
  if (!request.body) return ''
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      throw new AuthError('PAYLOAD_TOO_LARGE')
    }
    chunks.push(value)
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks))
}

/** A string field of a parsed body, or '' (never throws on wrong types). */
export function field(body: Record<string, unknown>, name: string): string {
  const v = body[name]
  return typeof v === 'string' ? v : ''
}

/**
 * No field of ours has a use for NUL, and PostgreSQL refuses it in text (SQLSTATE 22021):
 * rejected where input enters, it is a clear 400 instead of a store error.
 */
export function nulError(): AuthError {
  return new AuthError('VALIDATION_FAILED', { message: 'The request contains a NUL character.' })
}

/** True when a parsed form (strings, files, arrays of them) has a NUL in a name or a string value. */
export function formHasNul(form: Record<string, unknown>): boolean {
  return Object.entries(form).some(
    ([name, value]) =>
      name.includes('\0') ||
      (Array.isArray(value) ? value : [value]).some((v) => typeof v === 'string' && v.includes('\0')),
  )
}
