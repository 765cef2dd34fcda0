/** Dates shown on the pages: absolute, in UTC, so every reader sees the same thing. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return 'Never'
  const d = new Date(ms)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString()
}

/** "just now", "5 minutes ago", "3 days ago". */
export function timeAgo(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000))
  if (s < 60) return 'just now'
  const units: [number, string][] = [
    [60, 'minute'],
    [3600, 'hour'],
    [86400, 'day'],
  ]
  let chosen: [number, string] = units[0]!
  for (const u of units) if (s >= u[0]) chosen = u
  const n = Math.floor(s / chosen[0])
  return `${n} ${chosen[1]}${n === 1 ? '' : 's'} ago`
}

/**
 * When a refused request may be tried again, from its Retry-After seconds, rounded up so the
 * page never sends the user back too early: "Try again in 45 seconds", "… in 15 minutes",
 * "… in 1 hour".
 */
export function tryAgainIn(retryAfterSeconds: number): string {
  const s = Math.max(1, Math.ceil(retryAfterSeconds))
  const [n, unit] =
    s < 60 ? [s, 'second'] : s < 3600 ? [Math.ceil(s / 60), 'minute'] : [Math.ceil(s / 3600), 'hour']
  return `Try again in ${n} ${unit}${n === 1 ? '' : 's'}.`
}

/** A refusal's message with when to come back, in place of a vague "Please try again later." */
export function withRetryHint(message: string, retryAfterSeconds: number): string {
  return `${message.replace(/\s*Please try again (later|shortly|in a moment)\.$/, '')} ${tryAgainIn(retryAfterSeconds)}`
}
