import type { Send } from './apps.ts'

export const ORIGIN = 'http://localhost:8000'

/** A browser-like client over a Send function: keeps cookies, sends same-origin Fetch Metadata. */
export class Client {
  readonly jar = new Map<string, string>()
  constructor(
    private readonly send: Send,
    public ip = '192.0.2.1',
  ) {}

  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  async request(
    method: string,
    path: string,
    init: { json?: unknown; headers?: Record<string, string>; body?: string } = {},
  ) {
    const headers = new Headers({ 'x-test-ip': this.ip, 'sec-fetch-site': 'same-origin', origin: ORIGIN })
    if (method === 'GET' || method === 'HEAD') {
      headers.delete('origin')
    }
    const cookie = this.cookieHeader()
    if (cookie) headers.set('cookie', cookie)
    let body: string | undefined = init.body
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json')
      body = JSON.stringify(init.json)
    }
    for (const [k, v] of Object.entries(init.headers ?? {})) {
      if (v === '') headers.delete(k)
      else headers.set(k, v)
    }
    const res = await this.send(new Request(`${ORIGIN}${path}`, { method, headers, body }))
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))
      if (expired || value === '') this.jar.delete(name)
      else this.jar.set(name, value)
    }
    return res
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, { headers })
  }

  post(path: string, json?: unknown, headers?: Record<string, string>) {
    return this.request('POST', path, { json: json ?? {}, headers })
  }

  delete(path: string) {
    return this.request('DELETE', path)
  }
}
