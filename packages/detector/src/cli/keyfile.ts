import { readFileSync } from 'node:fs'
import { parseKey, type WatermarkKey } from '@tracemark/watermark'

/** Reads and validates a key file (Node only); errors name the file, never its contents. */
export function readKeyFile(path: string): WatermarkKey {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new Error(`cannot read key file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  try {
    return parseKey(text)
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`)
  }
}
