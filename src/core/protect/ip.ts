import { isIPv4, isIPv6 } from 'node:net'

/**
 * The key a client IP is throttled under: IPv4 as is, IPv6 by its /64 prefix, since one
 * subscriber usually holds a whole /64 and could otherwise rotate through 2^64 addresses.
 */
export function ipThrottleKey(ip: string | null | undefined): string {
  if (!ip) return 'unknown'
  let addr = ip.trim()
  if (addr.startsWith('::ffff:') && isIPv4(addr.slice(7))) return addr.slice(7)
  if (isIPv4(addr)) return addr
  if (addr.startsWith('[') && addr.endsWith(']')) addr = addr.slice(1, -1)
  const zone = addr.indexOf('%')
  if (zone >= 0) addr = addr.slice(0, zone)
  if (!isIPv6(addr)) return 'invalid'
  return `${expandIPv6(addr).slice(0, 4).join(':')}::/64`
}

function expandIPv6(addr: string): string[] {
  const [head, tail] = addr.split('::') as [string, string | undefined]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  // An embedded IPv4 tail counts as two groups.
  const fix = (groups: string[]) =>
    groups.flatMap((g) => {
      if (!g.includes('.')) return [g]
      const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number]
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)]
    })
  const hh = fix(h)
  const tt = fix(t)
  const fill = tail === undefined ? [] : Array(8 - hh.length - tt.length).fill('0')
  return [...hh, ...fill, ...tt].map((g) => Number.parseInt(g || '0', 16).toString(16))
}
