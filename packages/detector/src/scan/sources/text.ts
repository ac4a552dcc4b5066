/**
 * Plain-text reader: a whole file is one document.
 */
import { stat } from 'node:fs/promises'
import type { SourceRecord } from '../types.js'
import { cannotRead } from './errors.js'
import { concat } from './lines.js'
import { isS3 } from './s3.js'
import { openBytes, STDIN, type Compression } from './stream.js'

/** How far to look for NUL bytes: the same window git and grep use to call a file binary. */
const SNIFF_BYTES = 8192

/**
 * Read one text document from `file`. The size limit is enforced before
 * reading (stat) for plain files, and while decompressing otherwise, so an
 * oversized input is never held whole.
 */
export async function readText(file: string, compression: Compression, maxBytes: number): Promise<SourceRecord> {
  try {
    // Objects in a store are not asked for their size first: the limit below stops the transfer.
    if (file !== STDIN && compression === undefined && !isS3(file)) {
      const { size } = await stat(file)
      if (size > maxBytes) return { file, error: `file of ${size} bytes exceeds the limit of ${maxBytes}` }
    }
    const parts: Uint8Array[] = []
    let total = 0
    for await (const chunk of openBytes(file, compression)) {
      total += chunk.length
      // Leaving the loop closes the stream: decompression stops here.
      if (total > maxBytes) return { file, error: `document exceeds the limit of ${maxBytes} bytes` }
      parts.push(chunk)
    }
    const bytes = concat(parts, total)
    if (bytes.subarray(0, SNIFF_BYTES).includes(0)) return { file, error: 'binary file' }
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch {
      // Not UTF-8: most likely binary, or a legacy encoding we cannot guess safely.
      return { file, error: 'binary file' }
    }
    if (text.trim() === '') return { file, error: 'empty document' }
    return { file, text }
  } catch (e) {
    return { file, error: cannotRead(e) }
  }
}
