import { closeSync, fstatSync, lstatSync, openSync, readSync } from 'node:fs'
import { parseKey, type WatermarkKey } from '@tracemark/watermark'

/**
 * Largest key file read. A key file is under 1 KB; the cap stops `--key /dev/zero`
 * or a mistaken multi-gigabyte path from being read into memory.
 */
export const KEY_FILE_MAX_BYTES = 64 * 1024

export interface ReadKeyFileOptions {
  /** Told when the key file is a symlink or open to group/others (the key is still read). */
  warn?: (message: string) => void
}

/**
 * Reads and validates a key file (Node only). Errors name the file and the field
 * at fault, never a value from the file: a tampered or mistaken file could hold
 * the secret in any field.
 */
export function readKeyFile(path: string, options: ReadKeyFileOptions = {}): WatermarkKey {
  const fail = (e: unknown): never => {
    throw new Error(`cannot read key file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  let fd = -1
  let bytes: Uint8Array
  try {
    if (lstatSync(path).isSymbolicLink()) options.warn?.(`key file ${path} is a symlink: check that it points where you expect`)
    fd = openSync(path, 'r')
    const st = fstatSync(fd)
    if (st.isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' })
    if (st.isFile() && (st.mode & 0o077) !== 0) {
      options.warn?.(`key file ${path} is accessible to group/others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}): chmod 600 ${path}`)
    }
    // Read at most one byte over the cap, whatever the file claims to be (devices report size 0).
    const buf = new Uint8Array(KEY_FILE_MAX_BYTES + 1)
    let n = 0
    for (let r: number; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += r
    bytes = buf.subarray(0, n)
  } catch (e) {
    return fail(e)
  } finally {
    if (fd >= 0) closeSync(fd)
  }
  if (bytes.length > KEY_FILE_MAX_BYTES) throw new Error(`${path}: larger than ${KEY_FILE_MAX_BYTES / 1024} KiB, not a key file`)
  try {
    return parseKey(new TextDecoder().decode(bytes))
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`)
  }
}
