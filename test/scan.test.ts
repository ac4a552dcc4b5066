import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateKey, serializeKey } from '@tracemark/watermark'
import { runScan } from '../packages/detector/src/scan/run.js'
import { run } from '../packages/detector/src/cli/program.js'
import type { ScanSummary } from '../packages/detector/src/scan/types.js'
import { testSecret, watermarkedWords } from './helpers.js'
import { splitCorpus } from '../packages/lab/src/corpus/corpus.js'

const dir = mkdtempSync(join(tmpdir(), 'tracemark-scan-'))
const key = generateKey({ scheme: 'kgw' }, { secret: testSecret(1, 40) })
const other = generateKey({ scheme: 'gumbel' }, { secret: testSecret(2, 40) })
const keyText = serializeKey(key)
const otherText = serializeKey(other)
const keyPath = join(dir, 'key.json')
const cli = ['--import', 'tsx', join(__dirname, '../packages/detector/src/cli/main.ts')]

// Ground truth: documents with index % 5 === 0 are watermarked, the rest human.
const N = 120
const isMarked = (i: number) => i % 5 === 0
let texts: string[] = []

async function scanRecords(inputs: string[], extra: Partial<Parameters<typeof runScan>[0]> = {}) {
  const records: Record<string, unknown>[] = []
  const summary = await runScan({ inputs, keyTexts: [keyText], workers: 1, blockSize: 16, ...extra }, { record: (l) => records.push(JSON.parse(l)), warn: () => {} })
  return { records, summary }
}

beforeAll(() => {
  writeFileSync(keyPath, keyText, { mode: 0o600 })
  const human = splitCorpus().heldOut.map((d) => d.text.replace(/\s+/g, ' '))
  texts = Array.from({ length: N }, (_, i) => (isMarked(i) ? watermarkedWords(key, 120, 500 + i).text : human[i % human.length].slice(0, 800)))
  const lines = texts.map((t, i) => JSON.stringify({ id: i, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: t }] }))
  // Bad input in the middle: a broken line, a row without the field, an empty document.
  lines.splice(30, 0, '{"id": "broken"', JSON.stringify({ id: 'nofield' }), JSON.stringify({ messages: [{}, { content: '   ' }] }))
  writeFileSync(join(dir, 'corpus.jsonl'), `${lines.join('\n')}\n`)
  writeFileSync(join(dir, 'corpus.jsonl.gz'), new Uint8Array(gzipSync(`${lines.join('\n')}\n`)))
})

describe('tracemark scan', () => {
  it('says when each block\'s records are all given, so output can be written a block at a time', async () => {
    // io.flush comes after each block's records and after the summary: a caller that
    // buffers lines (the CLI) never holds more than a block, nor loses the last one.
    const events: string[] = []
    await runScan({ inputs: [join(dir, 'corpus.jsonl')], keyTexts: [keyText], workers: 2, blockSize: 16, field: 'messages.1.content' }, { record: (l) => events.push(JSON.parse(l).type), warn: () => {}, flush: () => events.push('flush') })
    const runs = events.join(' ').split(' flush').map((r) => r.trim().split(' ').filter(Boolean))
    expect(runs.at(-1), 'nothing after the last flush').toEqual([])
    expect(runs.at(-2), 'the summary alone, then a flush').toEqual(['summary'])
    // 123 records (3 of them bad lines) in blocks of 16: 7 full blocks and 11 records.
    expect(runs.slice(0, -2).map((r) => r.length)).toEqual([16, 16, 16, 16, 16, 16, 16, 11])
  })

  it('writes its output a block at a time, not a line at a time', async () => {
    const writes: string[] = []
    const code = await run(['scan', join(dir, 'corpus.jsonl'), '--key', keyPath, '--field', 'messages.1.content', '--block-size', '16', '--json'], { out: (s) => writes.push(s), err: () => {} })
    expect(code).toBeLessThan(2)
    const lines = writes.join('').trimEnd().split('\n')
    expect(lines).toHaveLength(124)
    expect(JSON.parse(lines.at(-1)!).type).toBe('summary')
    // One write per block (8) and the summary's, and one more per warning (the 3 bad
    // lines: output is written before a warning goes to stderr); a write per line would be 124.
    expect(writes.length).toBeLessThanOrEqual(8 + 1 + 3)
  })

  it('finds the watermarked documents with FDR control, in input order, and reports bad lines without losing others', async () => {
    // One pooling block for the whole corpus (blockSize 512) so the pooled test sees all of it.
    const { records, summary } = await scanRecords([join(dir, 'corpus.jsonl')], { field: 'messages.1.content', fdr: 0.05, blockSize: 512 })
    const docs = records.filter((r) => r.type === 'document') as Array<{ index: number; line: number; pValue: number; detected: boolean }>
    expect(docs).toHaveLength(N)
    expect(docs.map((d) => d.index)).toEqual(Array.from({ length: N }, (_, i) => i))
    // Lines 31-33 are the bad ones; documents keep their true line numbers.
    expect(summary.errors.map((e) => [e.line, e.reason.split(':')[0]])).toEqual([
      [31, 'invalid JSON'],
      [32, 'no field messages.1.content'],
      [33, 'empty document'],
    ])
    expect(docs[30].line).toBe(34)
    const s = summary as ScanSummary & { flaggedDocuments: number[] }
    // Known truth: every watermarked document is flagged (120 tokens at kgw strength
    // gives p ~ 1e-15), and BH at q = 0.05 over 96 true nulls flags, in expectation,
    // at most 0.05 * 24 / 0.95 false ones: with these fixed inputs, none.
    expect(s.flaggedDocuments).toEqual(Array.from({ length: N }, (_, i) => i).filter(isMarked))
    expect(s.flagged).toBe(N / 5)
    // 24 marked documents x ~115 tuples at ~65% green against 25%, among ~17k human
    // tuples: z ~ 18 for the single block, p far below 1e-50.
    expect(s.pooledLog10PValue).toBeLessThan(-50)
    expect(records.at(-1)!.type).toBe('summary')
  })

  it('writes a self-contained HTML report with the flagged documents and no secret', async () => {
    const report = join(dir, 'report.html')
    const { summary } = await scanRecords([join(dir, 'corpus.jsonl')], { field: 'messages.1.content', blockSize: 512, report })
    const html = readFileSync(report, 'utf8')
    expect(summary.flagged).toBe(N / 5)
    // Every flagged document appears with its location (line = index + 1, +3 after the bad lines).
    for (const i of [0, 5, 25, 35, 115]) expect(html).toContain(`corpus.jsonl:${i < 30 ? i + 1 : i + 4}`)
    expect(html).toContain(key.keyId)
    expect(html).not.toContain(JSON.parse(keyText).secret)
    expect(html).not.toMatch(/https?:\/\//)
  })

  it('reads the same corpus gzip-compressed, with the same results', async () => {
    const a = await scanRecords([join(dir, 'corpus.jsonl')], { field: 'messages.1.content' })
    const b = await scanRecords([join(dir, 'corpus.jsonl.gz')], { field: 'messages.1.content' })
    const strip = (rs: Record<string, unknown>[]) => rs.filter((r) => r.type === 'document').map((r) => ({ ...r, file: undefined }))
    expect(strip(b.records)).toEqual(strip(a.records))
  })

  it('gives identical output with 1 and 2 workers', async () => {
    const one = await scanRecords([join(dir, 'corpus.jsonl')], { field: 'messages.1.content', workers: 1 })
    const two = await scanRecords([join(dir, 'corpus.jsonl')], { field: 'messages.1.content', workers: 2 })
    const docs = (rs: Record<string, unknown>[]) => rs.filter((r) => r.type !== 'summary')
    expect(docs(two.records)).toEqual(docs(one.records))
    expect(two.summary.pooledLog10PValue).toBe(one.summary.pooledLog10PValue)
    expect(two.summary.flagged).toBe(one.summary.flagged)
  })

  it('scores several keys in one pass and corrects for their number', async () => {
    const one = await scanRecords([join(dir, 'corpus.jsonl')], { field: 'messages.1.content' })
    const both = await scanRecords([join(dir, 'corpus.jsonl')], { field: 'messages.1.content', keyTexts: [otherText, keyText] })
    const d1 = one.records.filter((r) => r.type === 'document') as Array<{ log10PValue: number; keyId: string }>
    const d2 = both.records.filter((r) => r.type === 'document') as Array<{ log10PValue: number; keyId: string }>
    for (let i = 0; i < N; i += 5) {
      expect(d2[i].keyId).toBe(key.keyId)
      // Bonferroni over two keys: exactly log10(2) weaker (when not clipped at 1).
      expect(d2[i].log10PValue).toBeCloseTo(d1[i].log10PValue + Math.log10(2), 6)
    }
    expect(both.summary.keys.map((k) => k.keyId)).toEqual([other.keyId, key.keyId])
  })

  it('resumes after kill -9 with exactly the same results', async () => {
    const big = join(dir, 'big.jsonl')
    writeFileSync(big, Array.from({ length: 6 }, () => readFileSync(join(dir, 'corpus.jsonl'), 'utf8')).join(''))
    const args = [...cli, 'scan', '--key', keyPath, '--field', 'messages.1.content', '--workers', '1', '--json', '--block-size', '32']
    const full = spawnSync(process.execPath, [...args, big], { encoding: 'utf8' })
    expect(full.status).toBe(0)
    const state = join(dir, 'state.ndjson')
    // Start, wait until some blocks are durable, kill -9 mid-scan.
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, [...args, '--resume', state, big], { stdio: 'ignore' })
      const poll = setInterval(() => {
        if (existsSync(state) && readFileSync(state, 'utf8').split('"type":"block"').length > 6) {
          clearInterval(poll)
          child.kill('SIGKILL')
        }
      }, 20)
      child.on('exit', () => {
        clearInterval(poll)
        resolve()
      })
    })
    // The kill landed mid-scan: fewer blocks are durable than the corpus has (738 records / 32).
    const durable = readFileSync(state, 'utf8').split('"type":"block"').length - 1
    expect(durable).toBeGreaterThan(5)
    expect(durable).toBeLessThan(Math.ceil(738 / 32))
    const again = spawnSync(process.execPath, [...args, '--resume', state, big], { encoding: 'utf8' })
    expect(again.status).toBe(0)
    const norm = (out: string) =>
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((r) => (r.type === 'summary' ? { ...r, seconds: 0 } : r))
    expect(norm(again.stdout)).toEqual(norm(full.stdout))
  })
})
