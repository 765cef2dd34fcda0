/** A YYYY-MM-DD date of the audit filter as [start of that day, UTC), or undefined when absent or malformed. */
export function dayStart(raw: string | undefined): number | undefined {
  if (!raw || !/^\d{4}-\d{2}-\d{2}$/.test(raw)) return undefined
  const ms = Date.parse(`${raw}T00:00:00Z`)
  return Number.isFinite(ms) ? ms : undefined
}

/** The range of `from` and `to` (both days included, UTC). */
export function dayRange(from: string | undefined, to: string | undefined): { from?: number; to?: number } {
  const start = dayStart(from)
  const end = dayStart(to)
  return {
    ...(start !== undefined ? { from: start } : {}),
    ...(end !== undefined ? { to: end + 86_400_000 } : {}),
  }
}
