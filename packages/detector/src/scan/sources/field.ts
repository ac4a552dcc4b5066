/**
 * Dot paths into parsed JSON (or Parquet rows): `messages.1.content`.
 */

/** Split a dot path into its segments; rejects empty segments, which can only be typos. */
export function parseFieldPath(path: string): string[] {
  const segments = path.split('.')
  if (segments.some((s) => s === '')) throw new RangeError(`invalid field path: ${JSON.stringify(path)}`)
  return segments
}

/**
 * Follow `segments` into `value`: numeric segments index arrays, others name
 * object keys. Returns `undefined` when any step is missing.
 */
export function getField(value: unknown, segments: readonly string[]): unknown {
  let current = value
  for (const segment of segments) {
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(segment)) return undefined
      current = current[Number(segment)]
    } else if (current !== null && typeof current === 'object') {
      // hasOwn, so that `constructor` or `__proto__` never resolve to built-ins.
      if (!Object.hasOwn(current, segment)) return undefined
      current = (current as Record<string, unknown>)[segment]
    } else {
      return undefined
    }
  }
  return current
}

/** What a non-string value is, for an error message. */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  // Parquet BYTE_ARRAY columns without a UTF-8 annotation can decode to bytes.
  if (ArrayBuffer.isView(value)) return 'binary data'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/**
 * Why `value` (the result of {@link getField}) is not usable document text,
 * or `undefined` when it is. Whitespace-only text counts as empty: it has no
 * tokens to test.
 */
export function checkText(value: unknown, path: string, maxBytes: number): string | undefined {
  if (value === undefined) return `no field ${path}`
  if (typeof value !== 'string') return `field ${path} is ${describe(value)}, not a string`
  if (value.trim() === '') return 'empty document'
  // length * 3 bounds the UTF-8 size, so the exact count is only taken near the limit.
  if (value.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(value, 'utf8')
    if (bytes > maxBytes) return `document of ${bytes} bytes exceeds the limit of ${maxBytes}`
  }
  return undefined
}
