import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { parseCookies, serializeCookie } from '../cookies.ts'

const ONE_YEAR = 365 * 24 * 3600

/**
 * OWASP's device cookies: after a successful login the browser gets
 * `<nonce>.<HMAC(user id, nonce)>`, proof that it logged in to that account before. Such a
 * device is throttled on its own budget, so an attacker who exhausts the account's budget
 * from elsewhere cannot lock the owner out.
 */
export class DeviceCookies {
  readonly name: string

  constructor(
    private readonly secret: string,
    private readonly secure: boolean,
  ) {
    this.name = `${secure ? '__Host-' : ''}gh_device`
  }

  /** The Set-Cookie for a browser that just logged in to `userId`. */
  issue(userId: string): string {
    const nonce = randomBytes(16).toString('base64url')
    return serializeCookie(this.name, `${nonce}.${this.#sign(userId, nonce)}`, {
      maxAge: ONE_YEAR,
      secure: this.secure,
    })
  }

  /** The device id (nonce) when the request carries a valid device cookie for `userId`. */
  knownDevice(userId: string, cookieHeader: string | null): string | null {
    const value = parseCookies(cookieHeader).get(this.name)
    if (!value) return null
    const [nonce, sig] = value.split('.')
    if (!nonce || !sig || nonce.length !== 22) return null
    const expected = Buffer.from(this.#sign(userId, nonce))
    const given = Buffer.from(sig)
    return expected.length === given.length && timingSafeEqual(expected, given) ? nonce : null
  }

  #sign(userId: string, nonce: string): string {
    return createHmac('sha256', this.secret).update(`gatehouse:device:${userId}:${nonce}`).digest('base64url')
  }
}
