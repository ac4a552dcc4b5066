/**
 * Random access for hyparquet, which asks for byte ranges (the footer, then one
 * row group's column chunk at a time, or only the pages a row range needs when
 * the file has an offset index): only those ranges are read, from a file or an
 * object store alike.
 */
import type { AsyncBuffer } from 'hyparquet'

/** An AsyncBuffer of `size` bytes whose slices (clamped to the size) `fill` reads in full. */
export function rangeBuffer(size: number, fill: (into: Uint8Array, start: number) => Promise<void>): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      const out = new Uint8Array(Math.max(0, Math.min(end, size) - start))
      await fill(out, start)
      return out.buffer
    },
  }
}
