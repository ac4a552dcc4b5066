import { closeSync, existsSync, fstatSync, fsyncSync, openSync, truncateSync, writeSync } from 'node:fs'
import type { PooledPart } from './document.js'
import { linesOf } from '../file-lines.js'

/**
 * The resume state: an append-only NDJSON file. Line 1 is a header naming the
 * scan (a hash of inputs, keys and options); then, per completed block, its
 * records and a `block` line with the block's pooled evidence, fsynced together.
 * A kill at any moment leaves at most a partial block after the last `block`
 * line; resuming truncates it away and starts again at that block, so no
 * document is lost or counted twice.
 */
export interface ResumeState {
  /** Source records consumed by completed blocks. */
  consumed: number
  /**
   * Streams what completed blocks hold, in order, from the file: each record line
   * (document or error, as NDJSON) and each block's pooled evidence. Nothing of it is
   * kept in memory: a state grows with the corpus (~350 bytes per document).
   */
  replay(record: (line: string) => void, parts: (parts: PooledPart[]) => void): void
  /** Appends a completed block durably. */
  append(records: string[], consumed: number, parts: PooledPart[]): void
  close(): void
}

/**
 * Opens (or creates) the state of scan `scanId` at `path`. `inputs` fingerprints
 * the input files (sizes and modification times): a state written over other
 * file contents is refused, since replaying it would report stale results.
 * Opening reads the file once, keeping only the end of its last complete block.
 */
export function openState(path: string, scanId: string, inputs?: string): ResumeState {
  let consumed = 0
  // Byte range of the completed blocks' lines (after the header).
  let bodyStart = 0
  let keepBytes = 0
  if (existsSync(path)) {
    const rfd = openSync(path, 'r')
    try {
      const size = fstatSync(rfd).size
      const lines = linesOf(rfd, 0, size)
      const first = lines.next()
      let header: { type?: string; scan?: string; inputs?: string } = {}
      try {
        if (first.done || first.value.end === -1) throw new Error('no header line')
        header = JSON.parse(first.value.line)
      } catch {
        throw new Error(`${path}: not a tracemark scan state file`)
      }
      if (header.type !== 'scan-state' || header.scan !== scanId) {
        throw new Error(`${path}: this state file belongs to a different scan (other inputs, keys or options)`)
      }
      if (inputs !== undefined && header.inputs !== undefined && header.inputs !== inputs) {
        throw new Error(`${path}: the input files changed since this state was written (size or modification time); delete the state file to scan them again`)
      }
      // Keep everything up to the last complete block line; drop a partial tail
      // (and anything after a line that does not parse).
      bodyStart = keepBytes = first.value.end
      for (const { line, end } of lines) {
        if (end === -1) break
        let rec: { type?: string; consumed?: number }
        try {
          rec = JSON.parse(line)
        } catch {
          break
        }
        if (rec.type === 'block') {
          consumed = rec.consumed ?? consumed
          keepBytes = end
        }
      }
    } finally {
      closeSync(rfd)
    }
    truncateSync(path, keepBytes)
  } else {
    const fd = openSync(path, 'w', 0o600)
    writeSync(fd, `${JSON.stringify({ type: 'scan-state', scan: scanId, version: 1, ...(inputs !== undefined ? { inputs } : {}) })}\n`)
    fsyncSync(fd)
    closeSync(fd)
  }
  const fd = openSync(path, 'a')
  return {
    consumed,
    replay(record, parts) {
      if (keepBytes <= bodyStart) return
      const rfd = openSync(path, 'r')
      try {
        for (const { line } of linesOf(rfd, bodyStart, keepBytes)) {
          if (line.startsWith('{"type":"block"')) parts((JSON.parse(line) as { parts?: PooledPart[] }).parts ?? [])
          else record(line)
        }
      } finally {
        closeSync(rfd)
      }
    },
    append(records, total, blockParts) {
      const text = records.map((r) => `${r}\n`).join('') + `${JSON.stringify({ type: 'block', consumed: total, parts: blockParts })}\n`
      writeSync(fd, text)
      fsyncSync(fd)
    },
    close() {
      closeSync(fd)
    },
  }
}
