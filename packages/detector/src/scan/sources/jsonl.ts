/**
 * JSONL reader: one JSON value per line, the document text at a dot path.
 */
import type { SourceRecord } from '../types.js'
import { cannotRead, shorten } from './errors.js'
import { checkText, getField } from './field.js'
import { splitLines } from './lines.js'

/** Lines of only ASCII whitespace are skipped without a record. */
function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0b && b !== 0x0c) return false
  return true
}

/**
 * Read JSONL from a byte stream: one record per non-blank line, either the
 * text at `path` or the reason the line is unusable. A stream that fails
 * midway ends with one error record after everything read before the failure.
 */
export async function* readJsonl(
  file: string,
  bytes: AsyncIterable<Uint8Array>,
  path: string,
  segments: readonly string[],
  maxBytes: number,
  firstLine = 1,
): AsyncGenerator<SourceRecord> {
  // A fresh decode per line (no `stream: true`), so a bad byte stays on its line.
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let lastLine = firstLine - 1
  try {
    for await (const l of splitLines(bytes, maxBytes, firstLine)) {
      lastLine = l.line
      const line = l.line
      if (l.tooLong !== undefined) {
        yield { file, line, error: `line of ${l.tooLong} bytes exceeds the limit of ${maxBytes}` }
        continue
      }
      if (isBlank(l.bytes)) continue
      let source: string
      try {
        source = decoder.decode(l.bytes)
      } catch {
        yield { file, line, error: 'invalid UTF-8' }
        continue
      }
      let value: unknown
      try {
        value = JSON.parse(source)
      } catch (e) {
        yield { file, line, error: `invalid JSON: ${shorten((e as Error).message, 80)}` }
        continue
      }
      const text = getField(value, segments)
      const problem = checkText(text, path, maxBytes)
      yield problem === undefined ? { file, line, text: text as string } : { file, line, error: problem }
    }
  } catch (e) {
    yield { file, ...(lastLine > 0 ? { line: lastLine + 1 } : {}), error: cannotRead(e) }
  }
}
