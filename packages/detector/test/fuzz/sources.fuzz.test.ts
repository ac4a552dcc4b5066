/**
 * Property-based tests of the corpus readers: line splitting, JSONL records, field paths.
 * Fixed seeds and run counts keep them deterministic and bounded in time.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { getField, parseFieldPath } from '../../src/scan/sources/field.js'
import { readJsonl } from '../../src/scan/sources/jsonl.js'
import { splitLines } from '../../src/scan/sources/lines.js'

const RUNS = { seed: 14_001, numRuns: 300 }

async function collect<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of gen) out.push(x)
  return out
}

/** `bytes` delivered in chunks cut at `cuts` (positions, any order, duplicates allowed). */
async function* chunked(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  let from = 0
  for (const c of [...at, bytes.length]) {
    if (c > from) yield bytes.subarray(from, c)
    from = c
  }
}

const LF = 0x0a
const CR = 0x0d
/** Bytes rich in line endings: LF, CR, and anything else. */
const bytesWithLines = fc
  .array(fc.oneof(fc.constant(LF), fc.constant(CR), fc.integer({ min: 0, max: 255 })), { maxLength: 400 })
  .map((a) => Uint8Array.from(a))

/** The reference split: on LF, one trailing CR dropped per line, a final empty piece dropped. */
function referenceLines(bytes: Uint8Array): number[][] {
  const pieces: number[][] = [[]]
  for (const b of bytes) b === LF ? pieces.push([]) : pieces[pieces.length - 1].push(b)
  if (pieces[pieces.length - 1].length === 0) pieces.pop()
  return pieces.map((p) => (p[p.length - 1] === CR ? p.slice(0, -1) : p))
}

describe('splitLines (fuzzed)', () => {
  it('gives the same lines as a plain split on LF, however the stream is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(bytesWithLines, fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 1, max: 64 }), async (bytes, cuts, maxBytes) => {
        const lines = await collect(splitLines(chunked(bytes, cuts), maxBytes))
        const want = referenceLines(bytes)
        expect(lines.map((l) => l.line)).toEqual(want.map((_, i) => i + 1))
        lines.forEach((l, i) => {
          // A line over the cap is reported with its full length, never its bytes.
          if (want[i].length > maxBytes) expect(l).toEqual({ line: i + 1, tooLong: want[i].length })
          else expect(Array.from(l.bytes!)).toEqual(want[i])
        })
      }),
      RUNS,
    )
  })
})

describe('readJsonl (fuzzed)', () => {
  /** A JSONL line: a record with a text, one without, or garbage. */
  const line = fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1 }).filter((s) => s.trim() !== '' && !/[\n\r]/.test(s)).map((text) => ({ kind: 'doc' as const, text })),
    fc.jsonValue().map((v) => ({ kind: 'other' as const, raw: JSON.stringify(v) })),
    fc.string({ unit: 'binary' }).filter((s) => !/[\n\r]/.test(s)).map((raw) => ({ kind: 'other' as const, raw })),
    fc.constantFrom(' ', '\t', '\u00a0', ' \v ', '').map((raw) => ({ kind: 'other' as const, raw })),
  )
  it('one record per non-blank line, at its line number; texts come back exactly; nothing throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 6 }), async (lines, cuts) => {
        const raws = lines.map((l) => (l.kind === 'doc' ? JSON.stringify({ id: 1, text: l.text }) : l.raw))
        const bytes = new TextEncoder().encode(raws.join('\n'))
        const records = await collect(readJsonl('in.jsonl', chunked(bytes, cuts), 'text', ['text'], 1 << 20))
        // Blank means ASCII whitespace only, as the reader defines it.
        const nonBlank = raws.map((r, i) => [r, i + 1] as const).filter(([r]) => !/^[ \t\r\v\f]*$/.test(r))
        expect(records.map((r) => r.line)).toEqual(nonBlank.map(([, n]) => n))
        for (const r of records) {
          expect(r.file).toBe('in.jsonl')
          const l = lines[r.line! - 1]
          if (l.kind === 'doc') expect(r).toEqual({ file: 'in.jsonl', line: r.line, text: l.text })
          else if (r.error === undefined) expect(typeof JSON.parse(l.raw).text).toBe('string') // only a real text field passes
          else expect(r.error.length).toBeGreaterThan(0)
        }
      }),
      RUNS,
    )
  })

  it('a record without the field names the field', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string().filter((k) => k !== 'body'), fc.jsonValue(), { maxKeys: 5 }), async (obj) => {
        const bytes = new TextEncoder().encode(JSON.stringify(obj) + '\n')
        const [r] = await collect(readJsonl('x.jsonl', chunked(bytes, []), 'body', ['body'], 1 << 20))
        expect(r).toEqual({ file: 'x.jsonl', line: 1, error: 'no field body' })
      }),
      RUNS,
    )
  })
})

describe('field paths (fuzzed)', () => {
  const segment = fc.oneof(fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/), fc.nat({ max: 5 }).map(String))
  it('parseFieldPath: RangeError exactly when a segment is empty, naming the path', () => {
    fc.assert(
      fc.property(fc.string(), (path) => {
        if (path.split('.').some((s) => s === '')) expect(() => parseFieldPath(path)).toThrow(new RangeError(`invalid field path: ${JSON.stringify(path)}`))
        else expect(parseFieldPath(path).join('.')).toBe(path)
      }),
      RUNS,
    )
  })

  it('getField finds a value planted at a path, through objects and arrays', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.string(), (segments, value) => {
        // Build the container from the innermost segment out: numeric segments are array slots.
        let doc: unknown = value
        for (const s of [...segments].reverse()) {
          if (/^\d+$/.test(s)) {
            const a: unknown[] = Array.from({ length: Number(s) + 1 }, () => null)
            a[Number(s)] = doc
            doc = a
          } else doc = { [s]: doc }
        }
        const parsed = JSON.parse(JSON.stringify(doc))
        expect(getField(parsed, parseFieldPath(segments.join('.')))).toBe(value)
      }),
      RUNS,
    )
  })

  it('getField never resolves inherited properties', () => {
    fc.assert(
      fc.property(fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'length'), fc.jsonValue(), (name, v) => {
        const doc = JSON.parse(JSON.stringify({ other: v }))
        expect(getField(doc, [name])).toBeUndefined()
      }),
      RUNS,
    )
  })
})
