import { join, resolve } from 'node:path'
import { repoRoot } from '../model/default.js'

/**
 * Where an evaluation writes its tables: `--out` when given, else a scratch folder
 * under `<repo>/.cache/eval/` (git-ignored). Never `docs/` by default: the
 * committed tables change only when regenerated on purpose, with `--out docs/...`.
 */
export function evalOutDir(kind: 'eval' | 'fingerprint' | 'radioactivity', quick: boolean, out?: string): string {
  return resolve(out ?? join(repoRoot(), '.cache', 'eval', kind, quick ? 'quick' : 'full'))
}
