/** Rebuilds dist/ when a source is newer than the last build; true when it rebuilt. */
export function buildIfStale(): boolean
