/**
 * Names the runtime does not know by now are few and names it knows are a few hundred, but
 * they arrive from outside (Strava, activity files): past this many the cache stops growing.
 */
const MAX_CACHED_NAMES = 2000

const canonical = new Map<string, string | null>()

function resolve (name: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone
  } catch {
    return null
  }
}

/**
 * The runtime's own name for an IANA zone, or null when its time zone data has none by that
 * name. Each name is resolved once: building the formatter that checks it costs about 0.1 ms,
 * which a sync of a long history would otherwise pay for every activity.
 */
export function knownTimeZone (name: string): string | null {
  const cached = canonical.get(name)
  if (cached !== undefined) return cached
  const zone = resolve(name)
  if (canonical.size < MAX_CACHED_NAMES) canonical.set(name, zone)
  return zone
}
