import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { inputFingerprint } from '../../src/scan/run.js'

describe('input fingerprint (resume state)', () => {
  it('changes with an input file, ignores the scan\'s own state and report, and survives a symlink loop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tm-fp-'))
    mkdirSync(join(dir, 'sub'))
    writeFileSync(join(dir, 'sub', 'a.jsonl'), '{"text":"a"}\n')
    symlinkSync(dir, join(dir, 'sub', 'up'))
    const o = { inputs: [dir], resume: join(dir, 'state'), report: join(dir, 'r.html') }
    const before = await inputFingerprint(o)
    writeFileSync(o.resume, 'anything')
    writeFileSync(o.report, 'anything')
    expect(await inputFingerprint(o)).toBe(before)
    writeFileSync(join(dir, 'sub', 'a.jsonl'), '{"text":"ab"}\n')
    expect(await inputFingerprint(o)).not.toBe(before)
  })
})
