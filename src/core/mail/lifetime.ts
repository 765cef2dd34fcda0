/**
 * How long a link works, in words for mails and pages: "15 minutes", "one hour", "24 hours".
 * Written from the TTL itself so the text cannot go on promising a lifetime the link no longer has.
 */
export function lifetimeInWords(seconds: number): string {
  if (seconds % 3600 === 0) {
    const hours = seconds / 3600
    return hours === 1 ? 'one hour' : `${hours} hours`
  }
  const minutes = Math.ceil(seconds / 60)
  return minutes === 1 ? 'one minute' : `${minutes} minutes`
}
