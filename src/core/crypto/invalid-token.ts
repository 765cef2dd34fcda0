import { AuthError } from '../errors.ts'

/**
 * The one error of Fernet, the passphrase format and the timed tokens. Every failure — bad
 * MAC, bad padding, wrong version, expired, clock skew, malformed text, wrong key or
 * passphrase — throws this with the same code and message and no `cause`, so neither a
 * caller nor an attacker reading the answer can tell which check failed.
 *
 * It is an AuthError (code INVALID_TOKEN, HTTP 400), so the adapters answer it like any
 * other bad token. Test with `instanceof InvalidToken` or `error.code === 'INVALID_TOKEN'`.
 */
export class InvalidToken extends AuthError {
  constructor() {
    super('INVALID_TOKEN')
  }
}
