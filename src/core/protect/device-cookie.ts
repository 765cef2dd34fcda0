import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { readCookie, serializeCookie } from '../cookies.ts'

const ONE_YEAR = 365 * 24 * 3600

/** What a device cookie is bound to: the account, and its current password. */
export interface DeviceOwner {
  id: string
  passwordHash: string | null
}

/**
 * OWASP's device cookies: after a successful login the browser gets
 * `<nonce>.<HMAC(user id, password digest, nonce)>`, proof that it logged in to that account
 * before. Such a device is throttled on its own budget, so an attacker who exhausts the
 * account's budget from elsewhere cannot lock the owner out.
 *
 * The HMAC covers a digest of the user's stored password hash, so a password change or
 * reset ends the exemption of every device cookie issued before it (a thief who logged in
 * with a stolen password keeps no throttling exemption once the owner changes it).
 */
export class DeviceCookies {
  readonly name: string

  constructor(
    private readonly secret: string,
    private readonly secure: boolean,
  ) {
    this.name = `${secure ? '__Host-' : ''}gh_device`
  }

  /** The Set-Cookie for a browser that just proved it may use `user` (a login, an unlock link). */
  issue(user: DeviceOwner): string {
    const nonce = randomBytes(16).toString('base64url')
    return serializeCookie(this.name, `${nonce}.${this.#sign(user, nonce)}`, {
      maxAge: ONE_YEAR,
      secure: this.secure,
    })
  }

  /** The device id (nonce) when the request carries a valid device cookie for `user` and its current password. */
  knownDevice(user: DeviceOwner, cookieHeader: string | null): string | null {
    const value = readCookie(cookieHeader, this.name)
    if (!value) return null
    const [nonce, sig] = value.split('.')
    if (!nonce || !sig || nonce.length !== 22) return null
    const expected = Buffer.from(this.#sign(user, nonce))
    const given = Buffer.from(sig)
    return expected.length === given.length && timingSafeEqual(expected, given) ? nonce : null
  }

  #sign(user: DeviceOwner, nonce: string): string {
    const password = createHash('sha256')
      .update(user.passwordHash ?? '')
      .digest('base64url')
      .slice(0, 16)
    return createHmac('sha256', this.secret)
      .update(`gatehouse:device:${user.id}:${password}:${nonce}`)
      .digest('base64url')
  }
}
