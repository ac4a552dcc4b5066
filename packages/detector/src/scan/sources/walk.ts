/**
 * Expanding input paths into the files to read, in a deterministic order.
 */
import { readdir, realpath, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** A file to read, or a path that could not be listed. */
export type Entry = { file: string; error?: undefined } | { file: string; error: unknown }

/** Plain code-unit order: locale collation would make the order depend on the machine. */
const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * All non-hidden files under `dir`, recursively, sorted by path. Only paths
 * are collected (not contents), so this stays small next to the documents.
 * Symlinked directories are followed once: a link back up cannot loop.
 */
export async function listDirectory(dir: string): Promise<Entry[]> {
  const entries: Entry[] = []
  const seen = new Set<string>()
  const visit = async (current: string): Promise<void> => {
    const real = await realpath(current)
    if (seen.has(real)) return
    seen.add(real)
    for (const dirent of await readdir(current, { withFileTypes: true })) {
      // Hidden entries (.git, .DS_Store, editor swap files) are never documents.
      if (dirent.name.startsWith('.')) continue
      const path = join(current, dirent.name)
      let isDir = dirent.isDirectory()
      let isFile = dirent.isFile()
      if (dirent.isSymbolicLink()) {
        try {
          const s = await stat(path)
          isDir = s.isDirectory()
          isFile = s.isFile()
        } catch (e) {
          entries.push({ file: path, error: e })
          continue
        }
      }
      if (isDir) {
        try {
          await visit(path)
        } catch (e) {
          entries.push({ file: path, error: e })
        }
      } else if (isFile) {
        entries.push({ file: path })
      }
      // Sockets, FIFOs and devices are skipped: reading them could block forever.
    }
  }
  await visit(dir)
  return entries.sort((a, b) => byPath(a.file, b.file))
}
