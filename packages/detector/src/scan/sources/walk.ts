/**
 * Expanding input paths into the files to read, in a deterministic order.
 */
import { constants } from 'node:fs'
import { access, readdir, realpath, stat } from 'node:fs/promises'
import { isAbsolute, join, relative, sep } from 'node:path'

/** A file to read, or a path that could not be listed. */
export type Entry = { file: string; error?: undefined } | { file: string; error: unknown }

/** Plain code-unit order: locale collation would make the order depend on the machine. */
const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * A directory's child, keyed so that sorting siblings sorts the paths beneath them;
 * a directory to walk carries its real path (`real`).
 */
type Child = { key: string; path: string; real?: string; error?: unknown }

/**
 * All non-hidden files under `dir`, recursively, in order of their paths (code
 * units), yielded as the walk goes: memory holds the listings of the directories
 * on the current path, not the tree. (Collecting and sorting every path took 131
 * bytes per file: 1.3 GB for 10^7 files.)
 *
 * A depth-first walk gives the sorted order when a directory's name is sorted as
 * itself followed by `/`, the separator every path beneath it continues with:
 * `a-b` (`-` is below `/`) comes before `a/c`, as in a sort of all the paths. A
 * path that cannot be read (a dangling link, a directory without permission) is an
 * error entry where its own path sorts. A symlinked directory inside the tree is
 * read under its own path, not the link's; one outside it is followed once (the
 * first link met in this order): a link back up cannot loop.
 * @throws when `dir` itself cannot be listed (at the first iteration).
 */
export async function* walkDirectory(dir: string): AsyncGenerator<Entry> {
  const seen = new Set<string>()
  const root = await realpath(dir)
  // A link to a directory the walk reaches by its own path anyway (inside the tree, no
  // hidden component) is not followed: its files are read once, under their real paths,
  // whatever the names sort to.
  const reachedAnyway = (target: string): boolean => {
    const rel = relative(root, target)
    return rel === '' || (!isAbsolute(rel) && rel.split(sep).every((part) => part !== '..' && !part.startsWith('.')))
  }
  // `real` is `current` with every link resolved: known from the parent, so no
  // directory costs a realpath call except a linked one.
  async function* visit(current: string, real: string): AsyncGenerator<Entry> {
    if (seen.has(real)) return
    seen.add(real)
    const children: Child[] = []
    for (const dirent of await readdir(current, { withFileTypes: true })) {
      // Hidden entries (.git, .DS_Store, editor swap files) are never documents.
      if (dirent.name.startsWith('.')) continue
      const path = join(current, dirent.name)
      let isDir = dirent.isDirectory()
      let isFile = dirent.isFile()
      let target = join(real, dirent.name)
      if (dirent.isSymbolicLink()) {
        try {
          const s = await stat(path)
          isDir = s.isDirectory()
          isFile = s.isFile()
          if (isDir) target = await realpath(path)
          if (isDir && reachedAnyway(target)) continue
        } catch (e) {
          children.push({ key: dirent.name, path, error: e })
          continue
        }
      }
      if (isDir) {
        // Found now, a directory that cannot be listed is reported where its own
        // path sorts (before `x-b` for `x`), not where its files would have been.
        try {
          await access(path, constants.R_OK | constants.X_OK)
          children.push({ key: `${dirent.name}/`, path, real: target })
        } catch (e) {
          children.push({ key: dirent.name, path, error: e })
        }
      } else if (isFile) children.push({ key: dirent.name, path })
      // Sockets, FIFOs and devices are skipped: reading them could block forever.
    }
    children.sort((a, b) => byPath(a.key, b.key))
    for (const c of children) {
      if (c.real === undefined) yield c.error === undefined ? { file: c.path } : { file: c.path, error: c.error }
      else {
        // Unlisted after all (it changed since the check): reported here, as the walk
        // meets it. Only its own listing can throw, before any entry.
        try {
          yield* visit(c.path, c.real)
        } catch (e) {
          yield { file: c.path, error: e }
        }
      }
    }
  }
  yield* visit(dir, root)
}
