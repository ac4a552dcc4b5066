import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../src/model/default.js'

const run = promisify(execFile)

describe('pnpm demo', () => {
  it('tells the whole story with computed verdicts and never prints the key', async () => {
    const root = repoRoot()
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(root, 'packages/lab/src/demo.ts')], { cwd: root, maxBuffer: 1 << 24 })
    const summary = stdout.slice(stdout.indexOf('Summary'))
    // The verdicts the story needs; the numbers behind them are the tools' own output.
    expect(summary).toMatch(/dataset scan +30\/30 of account 3003's answers and 8\/8 of account 1001's flagged; 0\/300 human paragraphs flagged/)
    expect(summary).toMatch(/probe student +p = \S+ -> RADIOACTIVE; fingerprint: account 3003/)
    expect(summary).toMatch(/probe clean model p = \S+ -> not radioactive/)
    expect(stdout).toMatch(/account 3003 +30 of +30 flagged \(30 attributed to 3003\)/)
    const dir = /files in (\S+)/.exec(summary)![1]
    const key = JSON.parse(readFileSync(join(dir, 'key.json'), 'utf8'))
    expect(typeof key.secret).toBe('string')
    expect(stdout).not.toContain(key.secret)
  }, 600_000)
})
