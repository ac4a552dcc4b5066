/**
 * A byte-level line splitter with a hard cap on how much of one line it keeps.
 *
 * It works on bytes, not strings, so that one line of invalid UTF-8 cannot
 * poison its neighbours (each line is decoded on its own by the caller), and so
 * that a gigantic line can be counted and skipped without ever being held.
 */

/** One line of input: its bytes (LF and a trailing CR removed), or how long it was when over the cap. */
export type Line = { line: number; bytes: Uint8Array; tooLong?: undefined } | { line: number; bytes?: undefined; tooLong: number }

const LF = 0x0a
const CR = 0x0d

/**
 * Split a byte stream into lines numbered from `firstLine` (1 for a whole
 * file; a byte range that starts mid-file passes its first line's number). A line of more than
 * `maxBytes` bytes (not counting its line ending) is reported as `tooLong`
 * with its full length, and at most `maxBytes + 1` of its bytes are ever
 * buffered: past that the splitter only counts until the next newline.
 */
export async function* splitLines(chunks: AsyncIterable<Uint8Array>, maxBytes: number, firstLine = 1): AsyncGenerator<Line> {
  let parts: Uint8Array[] = []
  let held = 0
  // Bytes of the current line while skipping it; -1 while still buffering.
  let skipped = -1
  let lastByte = -1
  let line = firstLine

  const finish = (): Line => {
    let result: Line
    if (skipped >= 0) {
      result = { line, tooLong: lastByte === CR ? skipped - 1 : skipped }
    } else {
      let bytes = parts.length === 1 ? parts[0] : concat(parts, held)
      if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1)
      result = bytes.length > maxBytes ? { line, tooLong: bytes.length } : { line, bytes }
    }
    parts = []
    held = 0
    skipped = -1
    lastByte = -1
    line++
    return result
  }

  for await (const chunk of chunks) {
    const buf = chunk
    let pos = 0
    while (pos < buf.length) {
      const nl = buf.indexOf(LF, pos)
      const end = nl < 0 ? buf.length : nl
      if (end > pos) {
        if (skipped >= 0) {
          skipped += end - pos
        } else if (held + (end - pos) > maxBytes + 1) {
          // +1 leaves room for a CR that may end the line; past that the line
          // is over the cap whatever follows, so drop what was held and count.
          skipped = held + (end - pos)
          parts = []
          held = 0
        } else {
          parts.push(buf.subarray(pos, end))
          held += end - pos
        }
        lastByte = buf[end - 1]
      }
      if (nl < 0) break
      yield finish()
      pos = nl + 1
    }
  }
  // A last line without a trailing newline still counts.
  if (held > 0 || skipped >= 0) yield finish()
}

/** Join byte arrays of known total length. */
export function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
