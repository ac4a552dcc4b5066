import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'

/** The git work tree holding `path` (the nearest ancestor with a `.git`), or undefined. */
export function gitWorkTree(path: string): string | undefined {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir
    if (dirname(dir) === dir) return undefined
  }
}

/**
 * Why writing a secret to `path` may end up in a commit, or undefined when it
 * cannot: outside any work tree, or ignored there (asked of git itself, so every
 * .gitignore and exclude file counts; without git installed we cannot tell, and warn).
 */
export function secretCommitRisk(path: string): string | undefined {
  const tree = gitWorkTree(path)
  if (tree === undefined) return undefined
  const r = spawnSync('git', ['check-ignore', '-q', '--', basename(path)], { cwd: dirname(resolve(path)), stdio: 'ignore' })
  if (r.status === 0) return undefined
  return `${path} is inside the git work tree ${tree} and not ignored: \`git add .\` would commit the secret key (add it to .gitignore, or keep keys outside the repository)`
}
