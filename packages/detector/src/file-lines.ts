/**
 * The lines of an NDJSON file that may be far larger than memory (a scan's resume
 * state, an evidence bundle's records), read 1 MiB at a time.
 */
import { readSync } from 'node:fs'

/** Bytes read at a time. */
const READ_CHUNK = 1 << 20
/** A longer line is damage (a record is ~350 bytes), read as a partial last line. */
const LINE_MAX = 1 << 26

/**
 * The lines of `fd` in [from, to) bytes, each with the byte offset just past its
 * newline; a last line without one is given with `end` = -1 (a partial write).
 */
export function* linesOf(fd: number, from: number, to: number): Generator<{ line: string; end: number }> {
  const chunk = new Uint8Array(READ_CHUNK)
  // The start of a line that runs past the current read.
  let carry = new Uint8Array(0)
  const joined = (tail: Uint8Array) => {
    const all = new Uint8Array(carry.length + tail.length)
    all.set(carry)
    all.set(tail, carry.length)
    return all
  }
  for (let at = from; at < to; ) {
    const n = readSync(fd, chunk, 0, Math.min(READ_CHUNK, to - at), at)
    if (n === 0) break
    let start = 0
    for (let nl = chunk.indexOf(10, 0); nl !== -1 && nl < n; nl = chunk.indexOf(10, start)) {
      // Lines are decoded whole, so a character split between two reads stays whole.
      const line = utf8.decode(carry.length > 0 ? joined(chunk.subarray(start, nl)) : chunk.subarray(start, nl))
      carry = new Uint8Array(0)
      start = nl + 1
      yield { line, end: at + nl + 1 }
    }
    if (start < n) {
      carry = joined(chunk.subarray(start, n))
      if (carry.length > LINE_MAX) break
    }
    at += n
  }
  if (carry.length > 0) yield { line: utf8.decode(carry), end: -1 }
}

const utf8 = new TextDecoder()
