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
    // A fixed key seed makes the run reproducible; the assertions are the story's
    // verdicts, each of which must hold for any key with overwhelming probability.
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(root, 'packages/lab/src/demo.ts')], {
      cwd: root,
      maxBuffer: 1 << 24,
      env: { ...process.env, TRACEMARK_DEMO_SEED: '7' },
    })
    const summary = stdout.slice(stdout.indexOf('Summary'))
    const row = (truth: string) => {
      const m = new RegExp(`^ +${truth} +(\\d+) of +(\\d+) flagged(?: \\((.*)\\))?$`, 'm').exec(stdout)
      expect(m, truth).not.toBeNull()
      const attributed = [...(m![3] ?? '').matchAll(/(\d+) attributed to (\d+)/g)].map((a) => ({ n: Number(a[1]), account: Number(a[2]) }))
      return { flagged: Number(m![1]), total: Number(m![2]), attributed }
    }
    // 200-token gumbel answers are detected at 1e-6 within ~20 tokens (docs/eval);
    // only an answer the model ends early can escape.
    const leaked = row('account 3003')
    expect(leaked.total).toBe(30)
    expect(leaked.flagged).toBeGreaterThanOrEqual(27)
    // Attribution may abstain on a short answer but never names the wrong account.
    expect(leaked.attributed.every((a) => a.account === 3003)).toBe(true)
    expect(row('account 1001').attributed.every((a) => a.account === 1001)).toBe(true)
    // Human text: each paragraph's p-value is uniform, so P(any of 300 below 1e-6) < 3e-4.
    expect(row('human')).toMatchObject({ flagged: 0, total: 300 })
    expect(summary).toMatch(/probe student +p = \S+ -> RADIOACTIVE; fingerprint: account 3003/)
    const clean = /probe clean model p = (\S+) -> not radioactive/.exec(summary)
    expect(clean).not.toBeNull()
    // Under the null p is uniform: p > 1e-3 fails a correct test with probability 1e-3.
    expect(Number(clean![1])).toBeGreaterThan(1e-3)
    const dir = /files in (\S+)/.exec(summary)![1]
    const key = JSON.parse(readFileSync(join(dir, 'key.json'), 'utf8'))
    expect(typeof key.secret).toBe('string')
    expect(stdout).not.toContain(key.secret)
  }, 600_000)
})
