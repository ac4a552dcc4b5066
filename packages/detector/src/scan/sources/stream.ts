/**
 * Byte streams for inputs: files, standard input, and their gzip or zstd
 * decompression, all pulled chunk by chunk so memory stays bounded.
 */
import { createReadStream } from 'node:fs'
import { pipeline } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { Decompress } from 'fzstd'
import { isS3, s3Bytes } from './s3.js'

/** Compression recognised from a file name suffix. */
export type Compression = 'gzip' | 'zstd' | undefined

/** The path that means standard input. */
export const STDIN = '-'

/**
 * The raw bytes of a file, an `s3://` object, or standard input for `-`.
 * Errors (ENOENT, NoSuchKey…) surface on iteration.
 */
function rawBytes(path: string): AsyncIterable<Uint8Array> {
  if (path === STDIN) return process.stdin
  return isS3(path) ? s3Bytes(path) : createReadStream(path, { highWaterMark: 1 << 16 })
}

/**
 * The decompressed bytes of `path`. Breaking out of the iteration closes the
 * file (or aborts the transfer), so a reader that stops early (a size limit)
 * leaks nothing.
 */
export function openBytes(path: string, compression: Compression): AsyncIterable<Uint8Array> {
  if (compression === 'gzip') {
    const gunzip = createGunzip()
    // pipeline, not pipe: a read error on the file must reach the consumer of gunzip.
    pipeline(rawBytes(path) as AsyncIterable<Uint8Array>, gunzip, () => {})
    return gunzip
  }
  if (compression === 'zstd') return zstdBytes(rawBytes(path))
  return rawBytes(path)
}

/**
 * Input fed to fzstd per push. A zstd block of a few bytes can expand to
 * 128 KiB, and fzstd decodes every complete block of a push at once, so small
 * pushes are what bound the output held between two yields (here to about
 * 64 blocks, 8 MiB, even for a decompression bomb).
 */
const ZSTD_PUSH = 256

/** Streaming zstd through fzstd, which emits each block as it is decoded. */
async function* zstdBytes(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let out: Uint8Array[] = []
  // fzstd may hand out views of its own window, which later blocks overwrite: copy.
  const decoder = new Decompress((data) => {
    if (data.length > 0) out.push(data.slice())
  })
  for await (const chunk of input) {
    for (let i = 0; i < chunk.length; i += ZSTD_PUSH) {
      decoder.push(chunk.subarray(i, i + ZSTD_PUSH))
      if (out.length > 0) {
        const ready = out
        out = []
        yield* ready
      }
    }
  }
  decoder.push(new Uint8Array(0), true)
  yield* out
}

/**
 * Bytes [start, end) of an uncompressed file or object: what a scan worker reads of its
 * own share of a JSONL file, so the text never passes through the main thread.
 */
export function rangeBytes(path: string, start: number, end: number): AsyncIterable<Uint8Array> {
  // createReadStream's `end` is inclusive; an empty range must read nothing.
  if (end <= start) return (async function* () {})()
  if (isS3(path)) return s3Bytes(path, start, end)
  return createReadStream(path, { start, end: end - 1, highWaterMark: 1 << 16 })
}
