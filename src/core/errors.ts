/**
 * Every error Gatehouse raises on purpose carries a stable `code`. The table below is
 * the one place that maps a code to its HTTP status and a message that is safe to show
 * to an end user. Tests assert on codes, never on messages.
 */
export const ERROR_TABLE = {
  // 400 — the request itself is wrong
  BAD_REQUEST: [400, 'The request is malformed.'],
  INVALID_JSON: [400, 'The request body is not valid JSON.'],
  VALIDATION_FAILED: [400, 'Some fields are invalid.'],
  WEAK_PASSWORD: [400, 'The password does not meet the password policy.'],
  PASSWORD_TOO_LONG: [400, 'The password is too long.'],
  INVALID_TOKEN: [400, 'The link or token is invalid or has expired.'],
  // 401 — not authenticated
  UNAUTHENTICATED: [401, 'Authentication is required.'],
  INVALID_CREDENTIALS: [401, 'Invalid username or password.'],
  SESSION_EXPIRED: [401, 'Your session has expired. Please log in again.'],
  TOKEN_INVALID: [401, 'The access token is invalid or has expired.'],
  TOKEN_REUSED: [401, 'The refresh token has already been used; its family is revoked.'],
  FRESH_LOGIN_REQUIRED: [401, 'This action needs a fresh login.'],
  // 403 — authenticated (or not) but not allowed
  FORBIDDEN: [403, 'You are not allowed to do this.'],
  CSRF_FAILED: [403, 'The request failed the cross-site request check.'],
  ACCOUNT_DISABLED: [403, 'This account is disabled.'],
  SIGNUP_DISABLED: [403, 'Sign-up is disabled.'],
  EMAIL_NOT_VERIFIED: [403, 'Please verify your email address first.'],
  // 404, 405, 409, 413, 415
  NOT_FOUND: [404, 'Not found.'],
  METHOD_NOT_ALLOWED: [405, 'Method not allowed.'],
  EMAIL_TAKEN: [409, 'An account with this email already exists.'],
  USERNAME_TAKEN: [409, 'This username is taken.'],
  ACCOUNT_EXISTS: [409, 'An account with these details already exists.'],
  CONFLICT: [409, 'The request conflicts with the current state.'],
  API_KEY_LIMIT: [409, 'This account has reached its limit of API keys; revoke one first.'],
  LAST_ADMIN: [409, 'This change would leave no active administrator.'],
  PAYLOAD_TOO_LARGE: [413, 'The request body is too large.'],
  SESSION_DATA_TOO_LARGE: [413, 'The session data would exceed its size limit.'],
  UNSUPPORTED_MEDIA_TYPE: [415, 'Unsupported content type.'],
  // 429, 503 — come back later
  RATE_LIMITED: [429, 'Too many attempts. Please try again later.'],
  OVERLOADED: [503, 'The server is busy. Please try again shortly.'],
  STORE_UNAVAILABLE: [503, 'A storage backend is unavailable. Please try again shortly.'],
  MAIL_UNAVAILABLE: [503, 'The mail could not be sent right now. Please try again later.'],
  // 500 — never for bad input
  CONFIG_INVALID: [500, 'The server is misconfigured.'],
  INTERNAL: [500, 'Something went wrong.'],
} as const satisfies Record<string, readonly [number, string]>

/** The core's codes. */
export type CoreErrorCode = keyof typeof ERROR_TABLE

/**
 * The codes of modules, by declaration merging (a module that raises `MAGIC_WRONG` adds
 * `interface ModuleErrorCodes { MAGIC_WRONG: true }`), so a typo is still a type error.
 * At run time the module registers status and message (module.ts).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface ModuleErrorCodes {}

export type ErrorCode = CoreErrorCode | (keyof ModuleErrorCodes & string)

type ErrorEntry = readonly [status: number, message: string]
const moduleErrors = new Map<string, { owner: string; entry: ErrorEntry }>()

/**
 * Adds a module's error codes to the table. A code the core or another module already owns
 * is a configuration error naming both; the same module registering again (a second
 * createAuth in one process) is fine.
 */
export function registerErrorCodes(owner: string, table: Record<string, ErrorEntry>): void {
  for (const [code, entry] of Object.entries(table)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(code))
      throw new AuthError('CONFIG_INVALID', {
        message: `Module "${owner}": error code "${code}" is not UPPER_SNAKE`,
      })
    const taken = Object.hasOwn(ERROR_TABLE, code) ? 'the core' : moduleErrors.get(code)?.owner
    if (taken && taken !== owner)
      throw new AuthError('CONFIG_INVALID', {
        message: `Error code ${code} is claimed by module "${owner}" and by ${taken === 'the core' ? taken : `module "${taken}"`}`,
      })
    moduleErrors.set(code, { owner, entry })
  }
}

function entryOf(code: string): ErrorEntry {
  if (Object.hasOwn(ERROR_TABLE, code)) return ERROR_TABLE[code as CoreErrorCode]
  const registered = moduleErrors.get(code)
  // An unregistered code is a bug in the caller: answer it as one, never as a made-up status.
  return registered ? registered.entry : ERROR_TABLE.INTERNAL
}

export interface AuthErrorOptions {
  message?: string
  /** Per-field problems, shown to the user next to the field. */
  fields?: Record<string, string>
  /** Seconds, for 429 and 503. */
  retryAfter?: number
  cause?: unknown
}

export class AuthError extends Error {
  override readonly name = 'AuthError'
  readonly code: ErrorCode
  readonly status: number
  readonly fields: Record<string, string> | undefined
  readonly retryAfter: number | undefined

  constructor(code: ErrorCode, options: AuthErrorOptions = {}) {
    const [status, message] = entryOf(code)
    super(options.message ?? message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = status
    this.fields = options.fields
    this.retryAfter = options.retryAfter
  }

  /** Only errors below 500 expose their message; a 500 says nothing about its cause. */
  get expose(): boolean {
    return this.status < 500
  }

  toJSON(): { error: { code: ErrorCode; message: string; fields?: Record<string, string> } } {
    const message = this.expose ? this.message : entryOf(this.code)[1]
    return { error: { code: this.code, message, ...(this.fields ? { fields: this.fields } : {}) } }
  }
}

export function isAuthError(value: unknown): value is AuthError {
  return value instanceof AuthError
}

/** Any thrown value as an AuthError; unknown errors become INTERNAL without leaking details. */
export function toAuthError(value: unknown): AuthError {
  return value instanceof AuthError ? value : new AuthError('INTERNAL', { cause: value })
}

/** The JSON error response of docs/http-api.md, with Retry-After where it applies. */
export function errorResponse(error: AuthError, headers: HeadersInit = {}): Response {
  const h = new Headers(headers)
  if (error.status === 401 && !h.has('www-authenticate')) {
    const param =
      error.code === 'TOKEN_INVALID' || error.code === 'TOKEN_REUSED' ? ', error="invalid_token"' : ''
    h.set('www-authenticate', `Bearer realm="gatehouse"${param}`)
  }
  h.set('content-type', 'application/json; charset=utf-8')
  h.set('cache-control', 'no-store')
  if (error.retryAfter !== undefined) h.set('retry-after', String(Math.max(1, Math.ceil(error.retryAfter))))
  return new Response(JSON.stringify(error.toJSON()), { status: error.status, headers: h })
}
