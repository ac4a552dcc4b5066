import { closeSync, constants, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'

/**
 * Writes `text` to `path` so that a secret is never readable by others, not even
 * for a moment: a fresh file (O_EXCL, O_NOFOLLOW, `mode`, default 0600) in the same
 * directory, then renamed over `path` (forced) or hard-linked to it (refusing an
 * existing path). Either way a symlink at `path` is replaced or refused, never
 * written through, and an existing 0644 file is replaced by the new one.
 */
export function writeFileSafely(path: string, text: string, force: boolean, mode = 0o600): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  let fd: number
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode)
  } catch (e) {
    throw new Error(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  try {
    try {
      writeSync(fd, text)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    if (force) renameSync(tmp, path)
    else linkSync(tmp, path) // fails with EEXIST on any existing entry, dangling symlinks included
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new Error(code === 'EEXIST' ? `${path} exists; pass --force to overwrite it` : `cannot write ${path}: ${code ?? 'error'}`)
  } finally {
    try {
      unlinkSync(tmp)
    } catch {
      // already renamed into place
    }
  }
}
