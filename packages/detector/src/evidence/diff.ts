/**
 * The first place two JSON values differ, as `path: bundle X, recomputed Y`, or
 * null when they are identical. Numbers must match exactly: the bundle was made
 * by the same computation, so any change is a change, not rounding.
 */
export function firstDifference(bundle: unknown, recomputed: unknown, path = ''): string | null {
  const here = path || '(value)'
  if (bundle === null || recomputed === null || typeof bundle !== 'object' || typeof recomputed !== 'object') {
    return Object.is(bundle, recomputed) ? null : `${here}: bundle ${show(bundle)}, recomputed ${show(recomputed)}`
  }
  if (Array.isArray(bundle) !== Array.isArray(recomputed)) return `${here}: bundle ${show(bundle)}, recomputed ${show(recomputed)}`
  const a = bundle as Record<string, unknown>
  const b = recomputed as Record<string, unknown>
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
  for (const k of keys) {
    const sub = Array.isArray(bundle) ? `${path}[${k}]` : path ? `${path}.${k}` : k
    if (!(k in a)) return `${sub}: missing from the bundle, recomputed ${show(b[k])}`
    if (!(k in b)) return `${sub}: in the bundle (${show(a[k])}) but not recomputed`
    const d = firstDifference(a[k], b[k], sub)
    if (d) return d
  }
  return null
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v)
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

/** A value as it reads back from JSON (undefined fields dropped), so a fresh result compares like a stored one. */
export function asJson<T>(v: T): unknown {
  return JSON.parse(JSON.stringify(v))
}
