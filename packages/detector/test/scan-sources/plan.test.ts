import { writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { planBlocks, type PlannedBlock } from '../../src/scan/plan.js'
import { sourceSettings } from '../../src/scan/sources/index.js'
import { readPiece } from '../../src/scan/sources/piece.js'
import type { SourceRecord } from '../../src/scan/types.js'
import { collect, mixedCorpusFiles, tempDir } from './helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
let inputs: string[]
const MAX = 4096

beforeAll(async () => {
  tmp = await tempDir()
  const dir = tmp.path('corpus')
  await import('node:fs/promises').then((fs) => fs.mkdir(dir))
  for (const [name, data] of Object.entries(mixedCorpusFiles(MAX))) await writeFile(`${dir}/${name}`, data)
  inputs = [dir, tmp.path('missing.jsonl'), `${dir}/a.jsonl`]
})
afterAll(() => tmp.cleanup())

async function plan(blockSize: number, skip = 0): Promise<PlannedBlock[]> {
  const blocks: PlannedBlock[] = []
  for await (const b of planBlocks(inputs, { maxDocumentBytes: MAX }, blockSize, skip)) blocks.push(b)
  return blocks
}

async function read(blocks: PlannedBlock[]): Promise<SourceRecord[][]> {
  const s = sourceSettings({ maxDocumentBytes: MAX })
  const out: SourceRecord[][] = []
  for (const b of blocks) {
    const records: SourceRecord[] = []
    for (const p of b.pieces) for await (const r of readPiece(p, s)) records.push(r)
    out.push(records)
  }
  return out
}

describe('scan plan (blocks of references the workers read)', () => {
  it('reads back exactly the sequential reader\'s records, cut every blockSize records, for any block size', async () => {
    const all = await collect(inputs, { maxDocumentBytes: MAX })
    // The fixture's record count: a.jsonl twice (19 records each: 14 documents, 5 bad lines), the text file, 3 gzip lines, 7 rows,
    // a compressed Parquet file (one error), a missing file.
    expect(all).toHaveLength(19 + 1 + 3 + 7 + 1 + 1 + 19)
    for (const size of [1, 2, 3, 7, 16, 1000]) {
      const blocks = await plan(size)
      const records = await read(blocks)
      expect(records.flat()).toEqual(all)
      // Whole blocks of `size` records, the last one possibly shorter, and `consumed` counts them.
      records.forEach((r, i) => expect(r.length).toBe(i < records.length - 1 ? size : all.length - size * (records.length - 1)))
      expect(blocks.map((b) => b.consumed)).toEqual(records.map((_, i) => Math.min(all.length, (i + 1) * size)))
    }
  })

  it('cuts a file of thousands of short lines (several line batches per read) where the sequential reader does', async () => {
    // The planner hands on line ends 1,024 at a time: blocks and skips must not notice
    // the batch boundaries, blank lines (not records) and CRLF endings included.
    const lines: string[] = []
    for (let i = 0; i < 5000; i++) lines.push(i % 97 === 0 ? '   ' : i % 13 === 0 ? '{bad' : JSON.stringify({ text: `d${i}` }) + (i % 5 === 0 ? '\r' : ''))
    const file = tmp.path('short-lines.jsonl')
    await writeFile(file, lines.join('\n'))
    const all = await collect([file], { maxDocumentBytes: MAX })
    expect(all.length).toBe(5000 - Math.ceil(5000 / 97))
    const s = sourceSettings({ maxDocumentBytes: MAX })
    for (const [size, skip] of [[512, 0], [1024, 0], [1000, 1500], [7, 2047]]) {
      const got: SourceRecord[] = []
      const sizes: number[] = []
      for await (const b of planBlocks([file], { maxDocumentBytes: MAX }, size, skip)) {
        let n = 0
        for (const p of b.pieces) for await (const r of readPiece(p, s)) (got.push(r), n++)
        sizes.push(n)
      }
      expect(got, `blocks of ${size} after ${skip}`).toEqual(all.slice(skip))
      expect(sizes.slice(0, -1).every((n) => n === size)).toBe(true)
    }
  })

  it('sends references, not text, for uncompressed JSONL, Parquet and text files', async () => {
    const blocks = await plan(16)
    const inline = blocks.flatMap((b) => b.pieces).filter((p) => p.kind === 'records')
    // Only the gzip file's lines and the errors of unreadable inputs travel as records.
    const inlineFiles = new Set(inline.flatMap((p) => (p.kind === 'records' ? p.records.map((r) => r.file.split('/').pop()) : [])))
    expect([...inlineFiles].sort()).toEqual(['c.jsonl.gz', 'f.parquet.gz', 'missing.jsonl'])
    expect(blocks.flatMap((b) => b.pieces).some((p) => p.kind === 'lines')).toBe(true)
    expect(blocks.flatMap((b) => b.pieces).some((p) => p.kind === 'rows')).toBe(true)
  })

  it('skips the records of completed blocks (resume) and plans the rest identically', async () => {
    const full = await read(await plan(3))
    for (const done of [1, 4, 10, 17]) {
      const rest = await plan(3, done * 3)
      expect(await read(rest)).toEqual(full.slice(done))
    }
  })
})
