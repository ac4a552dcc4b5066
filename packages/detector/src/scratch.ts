/**
 * Buffers a scan reuses from one document (or block) to the next grow to fit the
 * largest need met. Without a cap, one hostile document (16 MiB of text, ~8 M
 * tokens) left every one of them at that size for the rest of the scan: ~1 GB of
 * typed arrays per worker, measured, held after the document was done. Up to
 * `cap` elements a buffer is kept; a larger need gets a buffer of its own size,
 * which the next need under the cap replaces with a capped one.
 */
export function fitScratch<T extends { length: number }>(current: T, need: number, cap: number, make: (length: number) => T): T {
  if (current.length >= need && (current.length <= cap || need > cap)) return current
  return make(need > cap ? need : Math.min(cap, Math.max(need, 2 * current.length)))
}

/** Cap of a per-document buffer, in elements: documents of up to ~1 MB of text. */
export const DOCUMENT_SCRATCH = 1 << 18

/** Cap of a per-block buffer, in elements: twice the pending pool's flush threshold. */
export const BLOCK_SCRATCH = 1 << 21
