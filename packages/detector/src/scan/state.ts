import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs'
import type { PooledPart } from './document.js'

/**
 * The resume state: an append-only NDJSON file. Line 1 is a header naming the
 * scan (a hash of inputs, keys and options); then, per completed block, its
 * records and a `block` line with the block's pooled evidence, fsynced together.
 * A kill at any moment leaves at most a partial block after the last `block`
 * line; resuming truncates it away and starts again at that block, so no
 * document is lost or counted twice.
 */
export interface ResumeState {
  /** Records (documents and errors) of completed blocks, as NDJSON lines. */
  lines: string[]
  /** Pooled evidence of completed blocks. */
  parts: PooledPart[]
  /** Source records consumed by completed blocks. */
  consumed: number
  /** Appends a completed block durably. */
  append(records: string[], consumed: number, parts: PooledPart[]): void
  close(): void
}

/**
 * Opens (or creates) the state of scan `scanId` at `path`. `inputs` fingerprints
 * the input files (sizes and modification times): a state written over other
 * file contents is refused, since replaying it would report stale results.
 */
export function openState(path: string, scanId: string, inputs?: string): ResumeState {
  const lines: string[] = []
  const parts: PooledPart[] = []
  let consumed = 0
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8')
    const all = text.split('\n')
    let header: { type?: string; scan?: string; inputs?: string } = {}
    try {
      header = JSON.parse(all[0])
    } catch {
      throw new Error(`${path}: not a tracemark scan state file`)
    }
    if (header.type !== 'scan-state' || header.scan !== scanId) {
      throw new Error(`${path}: this state file belongs to a different scan (other inputs, keys or options)`)
    }
    if (inputs !== undefined && header.inputs !== undefined && header.inputs !== inputs) {
      throw new Error(`${path}: the input files changed since this state was written (size or modification time); delete the state file to scan them again`)
    }
    // Keep everything up to the last complete block line; drop a partial tail.
    let keepBytes = all[0].length + 1
    let block: string[] = []
    for (let i = 1; i < all.length; i++) {
      const line = all[i]
      if (i === all.length - 1) break // after the final newline, or a partial line
      let rec: { type?: string; consumed?: number; parts?: PooledPart[] }
      try {
        rec = JSON.parse(line)
      } catch {
        break
      }
      if (rec.type === 'block') {
        lines.push(...block)
        parts.push(...(rec.parts ?? []))
        consumed = rec.consumed ?? consumed
        block = []
        keepBytes = all.slice(0, i + 1).reduce((a, l) => a + Buffer.byteLength(l) + 1, 0)
      } else block.push(line)
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
    lines,
    parts,
    consumed,
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
