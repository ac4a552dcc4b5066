import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { beforeAll, describe, expect, it } from 'vitest'
import { runCli as cli } from './helpers.js'

// detect/attribute on input that carries no evidence must not print a clean-looking
// "p = 1.00" verdict (exit 1): it is an input error, exit 2 with a message.
const dir = mkdtempSync(join(tmpdir(), 'tracemark-detect-input-'))
const keyPath = join(dir, 'key.json')
const fpKeyPath = join(dir, 'fp.json')


describe('detect on input with nothing to test', () => {
  let secret = ''
  beforeAll(async () => {
    expect((await cli(['keygen', '--out', keyPath])).code).toBe(0)
    expect((await cli(['keygen', '--fingerprint-bits', '8', '--out', fpKeyPath])).code).toBe(0)
    secret = JSON.parse(readFileSync(keyPath, 'utf8')).secret
  })

  const cases: [string, string, string, RegExp][] = [
    ['an empty file', 'empty.txt', '', /empty\.txt is empty: there is no text to test/],
    ['a whitespace-only file', 'blank.txt', ' \n\t\n', /blank\.txt is empty/],
    ['one word', 'word.txt', 'hello', /word\.txt is too short to test: its 1 token gives no scorable/],
  ]
  for (const [label, name, text, message] of cases) {
    it(`${label}: exit 2 with a message, for detect and attribute`, async () => {
      const file = join(dir, name)
      writeFileSync(file, text)
      for (const r of [await cli(['detect', '--key', keyPath, file]), await cli(['attribute', '--key', fpKeyPath, file])]) {
        expect(r.code).toBe(2)
        expect(r.out).toBe('')
        expect(r.err).toMatch(message)
        expect(r.err).not.toMatch(/p = /)
        expect(r.err).not.toContain(secret)
      }
    })
  }

  it('a missing file: exit 2 naming it', async () => {
    const r = await cli(['detect', '--key', keyPath, join(dir, 'absent.txt')])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/cannot read .*absent\.txt: ENOENT/)
  })

  it('empty standard input through the real binary: exit 2', () => {
    const bin = ['--import', 'tsx', join(__dirname, '../packages/detector/src/cli/main.ts')]
    const r = spawnSync(process.execPath, [...bin, 'detect', '--key', keyPath], { input: '', encoding: 'utf8' })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/standard input is empty/)
  })

  it('detect --help documents the exit codes', async () => {
    const r = await cli(['detect', '--help'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/Exit status:\n\s+0 +watermark detected[^\n]*\n\s+1 +no watermark detected\n\s+2 +usage or input error/)
  })

  it('one 1 MiB line without a space: a verdict, not a crash', async () => {
    const file = join(dir, 'run.txt')
    writeFileSync(file, 'a'.repeat(1 << 20))
    const r = await cli(['detect', '--key', keyPath, '--tokenizer-backend', 'gpt-tokenizer', file])
    expect(r.err).toBe('')
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/^no watermark detected: p = /)
    expect(r.out).toMatch(/131072 in the text/) // 1 MiB / 8-letter tokens, in 256-char pieces
  })
})
