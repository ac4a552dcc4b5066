import type { Io } from './program.js'

/**
 * Progress on stderr: a self-overwriting line on a terminal, nothing otherwise
 * (logs and CI stay clean). Shows documents, tokens, throughput and, for
 * uncompressed inputs of known size, the time left.
 */
export function createProgress(io: Io, totalBytes: number) {
  const tty = process.stderr.isTTY === true
  let shown = false
  let last = 0
  return {
    update(p: { documents: number; tokens: number; bytes: number; seconds: number }) {
      if (!tty) return
      const now = Date.now()
      if (now - last < 200) return
      last = now
      const mbs = p.bytes / 1e6 / Math.max(p.seconds, 1e-3)
      const left = totalBytes > p.bytes && mbs > 0 ? `, ~${Math.ceil((totalBytes - p.bytes) / 1e6 / mbs)} s left` : ''
      io.err(`\r${p.documents} documents, ${p.tokens} tokens, ${mbs.toFixed(2)} MB/s${left}   `)
      shown = true
    },
    clear() {
      if (shown) io.err('\r\x1b[K')
      shown = false
    },
  }
}
