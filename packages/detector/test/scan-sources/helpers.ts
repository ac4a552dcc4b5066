/**
 * Fixtures for the source-reader tests, all generated in a temp dir at test
 * time (no committed binaries).
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { readSources, type ReadSourcesOptions } from '../../src/scan/sources/index.js'
import { concat } from '../../src/scan/sources/lines.js'
import type { SourceRecord } from '../../src/scan/types.js'

/** A fresh temp dir and its cleanup. */
export async function tempDir(): Promise<{ dir: string; path: (...p: string[]) => string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tracemark-sources-'))
  return { dir, path: (...p) => join(dir, ...p), cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Every record of a read, in order. */
export async function collect(inputs: string[], options: ReadSourcesOptions = {}): Promise<SourceRecord[]> {
  const out: SourceRecord[] = []
  for await (const r of readSources(inputs, options)) out.push(r)
  return out
}

/**
 * A valid zstd frame holding `data` in raw (stored) blocks. Node 20's zlib has
 * no zstd and fzstd only decompresses, but the zstd format allows uncompressed
 * blocks, so this tests the .zst path on any machine, without the zstd CLI.
 */
export function zstdRaw(data: Uint8Array): Uint8Array {
  const BLOCK = 1 << 17 // 128 KiB: the largest block a 128 KiB window allows
  const parts: Uint8Array[] = [
    // Magic, then a frame header descriptor with no content size, checksum or dictionary,
    // then a window descriptor of 2^(10 + 7) = 128 KiB.
    Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3),
  ]
  let at = 0
  do {
    const block = data.subarray(at, at + BLOCK)
    at += block.length
    const last = at >= data.length ? 1 : 0
    // 3-byte little-endian block header: last flag, type 0 (raw), size.
    const header = last | (0 << 1) | (block.length << 3)
    parts.push(Uint8Array.of(header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff), block)
  } while (at < data.length)
  return cat(parts)
}

/** Whether the zstd command line tool is installed (for truly compressed fixtures). */
export const hasZstdCli = (() => {
  try {
    execFileSync('zstd', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

/** JSONL of `{ text }` records, one per line. */
export const jsonl = (texts: string[], eol = '\n') => texts.map((text) => JSON.stringify({ text }) + eol).join('')

// Plain Uint8Array helpers: this repo's @types/node predates TypeScript's
// generic Uint8Array, so Buffer values do not type-check where bytes are expected.

/** A Buffer (or any view) as a plain Uint8Array over the same memory. */
export const u8 = (b: ArrayBufferView): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

/** UTF-8 bytes of a string, or the bytes given. */
export const bytes = (...parts: (string | Uint8Array | number[])[]): Uint8Array =>
  cat(parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : Array.isArray(p) ? Uint8Array.from(p) : p)))

/** Concatenation of byte arrays. */
export const cat = (parts: Uint8Array[]): Uint8Array => concat(parts, parts.reduce((n, p) => n + p.length, 0))

/** gzip of a string or bytes. */
export const gz = (data: string | Uint8Array): Uint8Array => u8(gzipSync(data))

/** `n` bytes all equal to the character `c`. */
export const repeated = (n: number, c: string): Uint8Array => new Uint8Array(n).fill(c.charCodeAt(0))

/**
 * Every kind of input the readers distinguish, as file name → bytes, for a
 * document limit of `max` bytes. a.jsonl holds every line kind the JSONL
 * reader tells apart: CRLF, blank and whitespace-only lines (no record), a
 * CR-only line, a line over the limit (one record, an error), a whitespace
 * line over the limit (a record too), invalid UTF-8, bad JSON, and a last line
 * without a newline (19 records: 14 documents, 5 bad lines).
 */
export function mixedCorpusFiles(max: number): Record<string, Uint8Array> {
  return {
    'a.jsonl': bytes(
      jsonl(['one', 'two'], '\r\n'),
      '\n   \n\t\r\n\r\n',
      jsonl(['three']),
      repeated(max + 5, 'x'),
      '\n',
      repeated(max + 1, ' '),
      '\r\n{"text": "bad \xff"}\n',
      [0x7b, 0xff, 0x7d, 0x0a],
      '{"text": 1}\n{oops\n',
      jsonl(Array.from({ length: 9 }, (_, i) => `doc ${i}`)),
      '{"text": "no newline at the end"}',
    ),
    'b.txt': bytes('a whole text file is one document'),
    'c.jsonl.gz': gz(jsonl(['gz one', 'gz two', 'gz three'])),
    'd.parquet': new Uint8Array(
      parquetWriteBuffer({
        columnData: [{ name: 'text', data: ['p0', null, 'p2', 'p3', '', 'p5', 'p6'], type: 'STRING' }],
        rowGroupSize: 3,
      }),
    ),
    'e.jsonl': bytes(''),
    'f.parquet.gz': gz('not read'),
  }
}
