import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

/** Hex SHA-256 of a string (as UTF-8) or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/**
 * Hex SHA-256 and size of a file, streamed: a scanned corpus can be far larger
 * than memory. Errors name the file.
 */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256')
  let bytes = 0
  try {
    for await (const chunk of createReadStream(path)) {
      const b = chunk as Uint8Array
      h.update(b)
      bytes += b.length
    }
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  return { sha256: h.digest('hex'), bytes }
}
