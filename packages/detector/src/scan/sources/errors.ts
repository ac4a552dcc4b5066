/**
 * Turning thrown errors into the short reasons that error records carry.
 */
import { status } from './s3.js'

/** A one-line reason for an I/O or decompression failure: `cannot read: ENOENT`. */
export function cannotRead(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown }
  // System errors carry an errno name that says it all; the message repeats the path.
  if (typeof e?.code === 'string' && /^E[A-Z0-9]+$/.test(e.code)) return `cannot read: ${e.code}`
  // Object-store errors: the code (NoSuchBucket, AccessDenied) and the HTTP status say what happened.
  const http = status(error)
  if (http !== undefined) return `cannot read: ${shorten(String((error as Error).name), 60)} (HTTP ${http})`
  return `cannot read: ${shorten(String(e?.message ?? error))}`
}

/** Cut a message to `max` characters: parser messages can quote a whole line back. */
export function shorten(message: string, max = 120): string {
  const oneLine = message.replace(/\s+/g, ' ').trim()
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`
}
