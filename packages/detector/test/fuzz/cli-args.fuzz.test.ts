/**
 * Random argument vectors for the `tracemark` CLI (in-process): whatever the user types,
 * the command ends with exit 0, 1 or 2, a message (never a stack trace) for exit 2, and
 * never the key's secret in its output. Fixed seed, bounded runs.
 *
 * Left out: `probe` and `worker` and `scan --redis` (they reach the network), `scan -` (it
 * streams the real standard input), and worker
 * counts/block sizes of 0 or less (validating those is issue 14's scan part).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

// `-` (or no file) reads standard input; here it is empty instead of the test runner's.
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  const readFileSync = ((path: unknown, ...rest: unknown[]) =>
    path === 0 ? Buffer.alloc(0) : (fs.readFileSync as (...a: unknown[]) => unknown)(path, ...rest)) as typeof fs.readFileSync
  return { ...fs, default: { ...fs, readFileSync }, readFileSync }
})

const { run } = await import('../../src/cli/program.js')

const dir = mkdtempSync(join(tmpdir(), 'tracemark-argfuzz-'))
const home = process.cwd()
const RUNS = { seed: 14_003, numRuns: 200 }

const files = {
  key: join(dir, 'key.json'),
  fpKey: join(dir, 'fp.json'),
  text: join(dir, 'text.txt'),
  empty: join(dir, 'empty.txt'),
  jsonl: join(dir, 'docs.jsonl'),
  accounts: join(dir, 'accounts.txt'),
  folder: join(dir, 'folder'),
  missing: join(dir, 'missing.txt'),
  out: join(dir, 'out', 'new-key.json'),
}
let secrets: string[] = []

beforeAll(async () => {
  const io = { out: () => {}, err: () => {} }
  expect(await run(['keygen', '--out', files.key], io)).toBe(0)
  expect(await run(['keygen', '--fingerprint-bits', '8', '--out', files.fpKey], io)).toBe(0)
  secrets = [files.key, files.fpKey].map((f) => JSON.parse(readFileSync(f, 'utf8')).secret as string)
  writeFileSync(files.text, 'It was the best of times, it was the worst of times, it was the age of wisdom.')
  writeFileSync(files.empty, '')
  writeFileSync(files.jsonl, '{"text":"a short document of a few words"}\nnot json\n{"body":1}\n')
  writeFileSync(files.accounts, '1\n2\n# comment\n3\n')
  mkdirSync(files.folder)
  writeFileSync(join(files.folder, 'a.txt'), 'another document in a folder')
  // Random relative paths (keygen --out, --report…) land in the temporary folder.
  process.chdir(dir)
})
afterAll(() => process.chdir(home))

/** Short junk: no path separators, so a random --out stays inside the temporary folder. */
const junk = fc.string({ maxLength: 12 }).filter((s) => !s.includes('/') && !s.includes('\\'))
const path = fc.constantFrom(...Object.values(files), '-')
// `scan -` streams the real standard input, which the mock above does not cover.
const scanPath = fc.constantFrom(...Object.values(files))
const number = fc.constantFrom('1', '2', '0.5', '1e-3', 'abc', 'NaN', 'Infinity', '-3', '0', '1e9', '')
const positiveInt = fc.constantFrom('1', '2', 'abc', 'NaN', '1.5') // worker counts, block sizes

const optionsOf: Record<string, [string, fc.Arbitrary<string> | null][]> = {
  keygen: [
    ['--scheme', fc.constantFrom('kgw', 'gumbel', 'synthid', 'unigram', 'nope')],
    ['--param', fc.constantFrom('gamma=0.25', 'delta=2', 'h=0', 'gamma=2', 'x=1', 'delta', '=')],
    ['--tokenizer', fc.constantFrom('cl100k_base', 'o200k_base', 'gpt2')],
    ['--out', fc.oneof(path, junk)],
    ['--fingerprint-bits', number],
    ['--fingerprint-delta', number],
    ['--fingerprint-positions', number],
    ['--force', null],
  ],
  detect: [
    ['--key', path],
    ['--tokenizer', fc.constantFrom('cl100k_base', 'o200k_base', 'gpt2')],
    ['--tokenizer-backend', fc.constantFrom('tiktoken', 'gpt-tokenizer', 'rust')],
    ['--alpha', number],
    ['--no-normalize', null],
    ['--accounts', path],
    ['--json', null],
  ],
  attribute: [
    ['--key', path],
    ['--accounts', path],
    ['--alpha', number],
    ['--json', null],
  ],
  scan: [
    ['--key', scanPath],
    ['--field', fc.constantFrom('text', 'body', 'a..b', '', 'messages.0.content')],
    ['--format', fc.constantFrom('jsonl', 'text', 'parquet', 'xml')],
    ['--workers', positiveInt],
    ['--block-size', positiveInt],
    ['--fdr', number],
    ['--fdr-dependence', fc.constantFrom('positive', 'arbitrary', 'none')],
    ['--alpha', number],
    ['--accounts', scanPath],
    ['--common-tuples', fc.constantFrom('off', '0.01', '2', 'x')],
    ['--report', fc.oneof(scanPath, junk)],
    ['--json', null],
  ],
}
const commands = ['keygen', 'detect', 'attribute', 'bogus', '', '--help', '--version', '-h']

/** A valid invocation of each command, which the fuzzer then damages or extends. */
const valid: Record<string, string[]> = {
  keygen: ['--force', '--out', 'fuzz-key.json'],
  detect: ['--key', files.key, files.text],
  attribute: ['--key', files.fpKey, files.text],
  scan: ['--key', files.key, '--workers', '1', files.jsonl],
}

/** Random argv for `command`: extra options, positionals and junk inserted anywhere into its valid invocation, of which a token may be dropped. */
function argvFor(command: string): fc.Arbitrary<string[]> {
  const opts = optionsOf[command] ?? optionsOf.detect
  const paths = command === 'scan' ? scanPath : path
  const option: fc.Arbitrary<string[]> = fc.constantFrom(...opts).chain(([name, value]) => (value ? value.map((v) => [name, v]) : fc.constant([name])))
  const token: fc.Arbitrary<string[]> = fc.oneof({ weight: 6, arbitrary: option }, { weight: 2, arbitrary: paths.map((p) => [p]) }, { weight: 1, arbitrary: junk.map((j) => [j]) })
  const inserts: fc.Arbitrary<[number, string[]][]> = fc.oneof({ weight: 1, arbitrary: fc.constant([] as [number, string[]][]) }, { weight: 2, arbitrary: fc.array(fc.tuple(fc.nat(), token), { minLength: 1, maxLength: 3 }) })
  return fc.tuple(inserts, fc.option(fc.nat(), { freq: 6 })).map(([extra, drop]) => {
    const args = [...(valid[command] ?? [])]
    if (drop !== null && args.length > 0) args.splice(drop % args.length, 1)
    for (const [at, parts] of extra) args.splice(at % (args.length + 1), 0, ...parts)
    return [command, ...args]
  })
}

/** Runs one argv and checks the contract; returns the exit code. */
async function check(args: string[]): Promise<number> {
  let out = ''
  let err = ''
  const code = await run(args, { out: (s) => (out += s), err: (s) => (err += s) })
  expect([0, 1, 2]).toContain(code)
  if (code === 2) expect(err.trim()).not.toBe('')
  expect(err).not.toMatch(/\n\s+at .+:\d+:\d+/)
  expect(err).not.toMatch(/TypeError|ReferenceError|RangeError: Maximum|unreachable/)
  for (const s of secrets) expect(out + err).not.toContain(s.slice(0, 12))
  return code
}

describe('CLI arguments (fuzzed)', () => {
  it('keygen, detect, attribute, help, unknown commands: exit 0, 1 or 2; exit 2 with a message, no stack trace; no secret printed', async () => {
    const codes = new Set<number>()
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...commands).chain(argvFor), async (args) => void codes.add(await check(args))),
      RUNS,
    )
    // The generator reaches every outcome: successes and verdicts as well as usage errors.
    expect([...codes].sort()).toEqual([0, 1, 2])
  })

  it('scan (a few runs: each starts worker threads)', async () => {
    await fc.assert(
      fc.asyncProperty(argvFor('scan'), async (args) => void (await check(args))),
      { seed: 14_004, numRuns: 6 },
    )
  })
})
