import { spawn, spawnSync } from 'node:child_process'
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateKey, serializeKey } from '@tracemark/watermark'
import { scoreBlock } from '../packages/detector/src/scan/block.js'
import type { Scorer } from '../packages/detector/src/scan/document.js'
import { runScan } from '../packages/detector/src/scan/run.js'
import { DEFAULT_MAX_DOCUMENT_BYTES, sourceSettings } from '../packages/detector/src/scan/sources/index.js'
import { workerOldGenerationMb } from '../packages/detector/src/scan/pool.js'
import { ERRORS_PER_INPUT } from '../packages/detector/src/scan/summary-builder.js'
import { splitCorpus } from '../packages/lab/src/corpus/corpus.js'
import { testSecret, runCli as cli } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'tracemark-scan-hard-'))
const key = generateKey({ scheme: 'kgw' }, { secret: testSecret(3, 40) })
const keyText = serializeKey(key)
const keyPath = join(dir, 'key.json')
const cliArgs = ['--import', 'tsx', join(__dirname, '../packages/detector/src/cli/main.ts')]
let corpus = ''


beforeAll(() => {
  writeFileSync(keyPath, keyText, { mode: 0o600 })
  const human = splitCorpus().heldOut.map((d) => d.text.replace(/\s+/g, ' ').slice(0, 600))
  corpus = join(dir, 'corpus.jsonl')
  writeFileSync(corpus, human.slice(0, 60).map((text) => `${JSON.stringify({ text })}\n`).join(''))
})

describe('scan hardening', () => {
  it('turns a document whose scoring throws into an error record at its location and goes on', async () => {
    const file = join(dir, 'three.jsonl')
    writeFileSync(file, ['alpha', 'POISON', 'gamma'].map((text) => `${JSON.stringify({ text })}\n`).join(''))
    // A scorer that fails on one text as the tokenizer once did ("unreachable" on a 1 MiB run of one letter).
    const scorer: Scorer = {
      score(text, where, index) {
        if (text === 'POISON') throw new Error('unreachable')
        return { type: 'document', ...where, index, tokens: 1, scored: 1, keyId: 'k', pValue: 0.5, log10PValue: Math.log10(0.5), detected: false, span: null, attribution: null }
      },
      scoreIds: () => {
        throw new Error('not used')
      },
      pooled: () => [],
    }
    const out = await scoreBlock([{ kind: 'lines', file, start: 0, end: readFileSync(file).length, firstLine: 1 }], scorer, sourceSettings({}))
    expect(out.entries.map((e) => (e.type === 'error' ? `error ${e.line} ${e.reason}` : `doc ${e.line} #${e.index}`))).toEqual([
      'doc 1 #0',
      'error 2 cannot score: unreachable',
      // Documents stay numbered without a gap: the failed one is an error, not a document.
      'doc 3 #1',
    ])
  })

  it('scores a document of the largest size read by default in a worker, under the worker\'s heap limit', async () => {
    // Random CJK characters up to the 16 MiB line limit: ~5.6 M characters and
    // millions of tokens, the most heap per byte of the hostile texts measured. The
    // worker's old generation is capped (workerOldGenerationMb) and must hold it.
    expect(workerOldGenerationMb()).toBe(512)
    expect(workerOldGenerationMb(64 * 2 ** 20)).toBe(2048)
    let x = 7
    const cjk = Array.from({ length: (DEFAULT_MAX_DOCUMENT_BYTES - 64) / 3 }, () => String.fromCharCode(0x4e00 + ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % 20000))).join('')
    const big = join(dir, 'big-document.jsonl')
    writeFileSync(big, `${JSON.stringify({ text: cjk })}\n${JSON.stringify({ text: 'a short document after it' })}\n`)
    const records: Array<{ type: string; tokens?: number }> = []
    await runScan({ inputs: [big], keyTexts: [keyText], workers: 1 }, { record: (line) => records.push(JSON.parse(line)), warn: () => {} })
    expect(records.map((r) => r.type)).toEqual(['document', 'document', 'summary'])
    expect(records[0].tokens).toBeGreaterThan(10_000_000)
  })

  it(`keeps counts and only the first ${ERRORS_PER_INPUT} errors per input for a flood of bad lines`, async () => {
    const file = join(dir, 'flood.jsonl')
    const bad = 30_000
    writeFileSync(file, `${JSON.stringify({ text: 'a good one' })}\n${'{\n'.repeat(bad)}${JSON.stringify({ text: 'and another' })}\n`)
    const warnings: string[] = []
    let summaryLine = ''
    const summary = await runScan(
      { inputs: [file], keyTexts: [keyText], workers: 1, commonTuples: false },
      { record: (l) => (summaryLine = l), warn: (m) => warnings.push(m) },
    )
    expect(summary.documents).toBe(2)
    expect(summary.errorCount).toBe(bad)
    expect(summary.errors).toHaveLength(ERRORS_PER_INPUT)
    expect(summary.errors[0].line).toBe(2)
    expect(summary.errorsListedPerInput).toBe(ERRORS_PER_INPUT)
    // The summary stays small (it was 365 MB for 3M bad lines): 100 errors of ~80 bytes.
    expect(summaryLine.length).toBeLessThan(20_000)
    // stderr: the first 100, then one line saying the rest are counted.
    expect(warnings).toHaveLength(ERRORS_PER_INPUT + 1)
    expect(warnings.at(-1)).toContain('more input errors')
  })

  it('refuses to resume when an input changed since the state was written', async () => {
    const file = join(dir, 'changing.jsonl')
    writeFileSync(file, readFileSync(corpus, 'utf8'))
    const state = join(dir, 'changing.state')
    const o = { inputs: [file], keyTexts: [keyText], workers: 1, blockSize: 16, resume: state, commonTuples: false as const }
    const first = await runScan(o, { record: () => {}, warn: () => {} })
    // Unchanged inputs: the finished state replays.
    const again = await runScan(o, { record: () => {}, warn: () => {} })
    expect(again.documents).toBe(first.documents)
    appendFileSync(file, `${JSON.stringify({ text: 'one more document' })}\n`)
    await expect(runScan(o, { record: () => {}, warn: () => {} })).rejects.toThrow(/input files changed/)
    const r = await cli(['scan', file, '--key', keyPath, '--resume', state, '--block-size', '16', '--common-tuples', 'off'])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/input files changed/)
  })

  it('exits 2 on a missing path or only unreadable inputs, and documents its exit codes', async () => {
    const missing = await cli(['scan', join(dir, 'nope.jsonl'), '--key', keyPath])
    expect(missing.code).toBe(2)
    expect(missing.err).toMatch(/no document could be read.*1 input error\)/)
    const bad = join(dir, 'bad.jsonl')
    writeFileSync(bad, '{oops\n')
    expect((await cli(['scan', bad, '--key', keyPath])).code).toBe(2)
    const help = await cli(['scan', '--help'])
    expect(help.out).toMatch(/Exit status:[\s\S]*2 +usage or input error/)
  })

  it('rejects invalid numeric options naming the option, and caps the worker threads', async () => {
    for (const [opt, value] of [
      ['--block-size', '0'],
      ['--block-size', '-1'],
      ['--block-size', '1e9'],
      ['--block-size', '2.5'],
      ['--workers', '0'],
      ['--workers', 'lots'],
      ['--workers', '100000'],
      ['--shard-size', '0'],
    ]) {
      const r = await cli(['scan', corpus, '--key', keyPath, opt, value])
      expect(r.code, `${opt} ${value}`).toBe(2)
      expect(r.err).toContain(opt)
    }
    // The distributed worker's option is checked the same way, before it connects anywhere.
    for (const value of ['0', '-3', 'NaN', '1e9']) {
      const w = await cli(['worker', '--redis', 'redis://127.0.0.1:1', '--concurrency', value])
      expect(w.code, `worker --concurrency ${value}`).toBe(2)
      expect(w.err).toContain('--concurrency')
    }
    const r = await cli(['scan', corpus, '--key', keyPath, '--workers', '200', '--common-tuples', 'off'])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/--workers 200: starting \d+/)
  })

  it('skips its own output, state and report files inside a scanned directory', () => {
    const data = join(dir, 'data')
    mkdirSync(data)
    writeFileSync(join(data, 'corpus.jsonl'), readFileSync(corpus, 'utf8'))
    const out = join(data, 'out.jsonl')
    const fd = openSync(out, 'w')
    const args = [...cliArgs, 'scan', data, '--key', keyPath, '--json', '--workers', '1', '--resume', join(data, 'state'), '--report', join(data, 'r.html')]
    // Run twice: the second run sees the state, report and output of the first in the directory.
    for (let i = 0; i < 2; i++) {
      const r = spawnSync(process.execPath, args, { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(1)
    }
    closeSync(fd)
    const records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    const files = new Set(records.filter((r) => r.type !== 'summary').map((r) => r.file))
    expect([...files]).toEqual([join(data, 'corpus.jsonl')])
    expect(records.filter((r) => r.type === 'summary').every((s) => s.errorCount === 0)).toBe(true)
  })

  it('finishes the blocks in flight on SIGTERM, saves them, exits 143, and resumes to the same result', async () => {
    const big = join(dir, 'big.jsonl')
    writeFileSync(big, readFileSync(corpus, 'utf8').repeat(8))
    const args = [...cliArgs, 'scan', big, '--key', keyPath, '--json', '--workers', '1', '--block-size', '16', '--common-tuples', 'off']
    const full = spawnSync(process.execPath, args, { encoding: 'utf8' })
    const state = join(dir, 'term.state')
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [...args, '--resume', state], { stdio: 'ignore' })
      const poll = setInterval(() => {
        if (existsSync(state) && readFileSync(state, 'utf8').split('"type":"block"').length > 3) {
          clearInterval(poll)
          child.kill('SIGTERM')
        }
      }, 20)
      child.on('exit', (c) => {
        clearInterval(poll)
        resolve(c)
      })
    })
    expect(code).toBe(143)
    // Stopped early, and the state ends on a complete block (nothing partial to truncate).
    const saved = readFileSync(state, 'utf8')
    expect(saved.split('"type":"block"').length - 1).toBeLessThan(30)
    expect(JSON.parse(saved.trim().split('\n').at(-1)!).type).toBe('block')
    const again = spawnSync(process.execPath, [...args, '--resume', state], { encoding: 'utf8' })
    const norm = (s: string) => s.trim().split('\n').map((l) => ({ ...JSON.parse(l), seconds: 0 }))
    expect(norm(again.stdout)).toEqual(norm(full.stdout))
  })
})
