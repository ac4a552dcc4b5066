import { createHash } from 'node:crypto'
import { cannotRead } from '../scan/sources/errors.js'
import { openBytes } from '../scan/sources/stream.js'

/** Hex SHA-256 of a string (as UTF-8) or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/**
 * Hex SHA-256 and size of a file or an `s3://` object, streamed: a scanned
 * corpus can be far larger than memory. Errors name the file.
 */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256')
  let bytes = 0
  try {
    for await (const b of openBytes(path, undefined)) {
      h.update(b)
      bytes += b.length
    }
  } catch (e) {
    throw new Error(`${path}: ${cannotRead(e)}`)
  }
  return { sha256: h.digest('hex'), bytes }
}
