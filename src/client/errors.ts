/**
 * A refusal from the server, with its stable code (`INVALID_CREDENTIALS`, `TOKEN_REUSED`,
 * `INVALID_GRANT` …), its status and any per-field messages; or a client-side code
 * (`NETWORK_ERROR`, `SIGN_IN_PENDING`, `NO_PENDING_SIGN_IN`).
 */
export class GatehouseClientError extends Error {
  override readonly name = 'GatehouseClientError'

  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
    readonly fields?: Record<string, string>,
  ) {
    super(message)
  }
}

/** The server's `{"error": {code, message, fields?}}`, or a generic one for anything else. */
export async function errorFrom(res: Response): Promise<GatehouseClientError> {
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown; fields?: unknown } }
    const e = body.error
    if (e && typeof e.code === 'string')
      return new GatehouseClientError(
        e.code,
        typeof e.message === 'string' ? e.message : e.code,
        res.status,
        e.fields && typeof e.fields === 'object' ? (e.fields as Record<string, string>) : undefined,
      )
  } catch {
    // Not our JSON error (a proxy's page): fall through.
  }
  return new GatehouseClientError('HTTP_ERROR', `The server answered ${res.status}.`, res.status)
}
