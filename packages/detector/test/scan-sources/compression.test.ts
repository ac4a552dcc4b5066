import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytes, cat, collect, gz, hasZstdCli, jsonl, repeated, tempDir, u8, zstdRaw } from './helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  tmp = await tempDir()
})
afterAll(() => tmp.cleanup())

const TEXTS = ['first document', 'second — with ünïcode', 'third']
const PROSE = 'A plain text document.\nIt spans lines, and ends here.\n'

describe('gzip', () => {
  it('reads .jsonl.gz and .txt.gz, detecting the format under the suffix', async () => {
    const j = tmp.path('docs.jsonl.gz')
    const t = tmp.path('prose.txt.gz')
    await writeFile(j, gz(jsonl(TEXTS, '\r\n')))
    await writeFile(t, gz(PROSE))
    expect(await collect([j, t])).toEqual([
      ...TEXTS.map((text, i) => ({ file: j, line: i + 1, text })),
      { file: t, text: PROSE },
    ])
  })

  it('reads concatenated gzip members as one stream (as `cat a.gz b.gz` makes)', async () => {
    const j = tmp.path('multi.jsonl.gz')
    await writeFile(j, cat([gz(jsonl(TEXTS.slice(0, 2))), gz(jsonl(TEXTS.slice(2)))]))
    expect((await collect([j])).map((r) => r.text)).toEqual(TEXTS)
  })

  it('keeps the lines before a corrupt gzip tail and reports the failure', async () => {
    const j = tmp.path('truncated.jsonl.gz')
    const lines = Array.from({ length: 2000 }, (_, i) => `document number ${i} ${'padding '.repeat(20)}`)
    const packed = gz(jsonl(lines))
    await writeFile(j, packed.subarray(0, Math.floor(packed.length / 2)))
    const records = await collect([j])
    const last = records.at(-1)!
    expect(last.error).toMatch(/^cannot read: /)
    const good = records.slice(0, -1)
    expect(good.length).toBeGreaterThan(100)
    expect(good.every((r, i) => r.text === lines[i] && r.line === i + 1)).toBe(true)
  })

  it('reports a file that is not gzip at all', async () => {
    const j = tmp.path('fake.jsonl.gz')
    await writeFile(j, jsonl(TEXTS))
    expect(await collect([j])).toEqual([{ file: j, error: 'cannot read: incorrect header check' }])
  })

  it('stops decompressing text past maxDocumentBytes (a gzip bomb is not inflated whole)', async () => {
    // 400 copies of a 16 MiB member: a 7 MB file that inflates to 6.7 GB, which
    // cannot fit in memory, so bounded memory proves reading stopped at the limit.
    const t = tmp.path('bomb.txt.gz')
    const member = gz(repeated(16 * 1024 * 1024, 'a'))
    await writeFile(t, cat(Array.from({ length: 400 }, () => member)))
    const base = process.memoryUsage().rss
    expect(await collect([t], { maxDocumentBytes: 1024 * 1024 })).toEqual([
      { file: t, error: `document exceeds the limit of ${1024 * 1024} bytes` },
    ])
    expect(process.memoryUsage().rss - base).toBeLessThan(64 * 1024 * 1024)
  })
})

describe('zstd', () => {
  it('reads .jsonl.zst and .txt.zst (stored-block frames, no zstd tool needed)', async () => {
    const j = tmp.path('docs.jsonl.zst')
    const t = tmp.path('prose.txt.zst')
    await writeFile(j, zstdRaw(bytes(jsonl(TEXTS))))
    await writeFile(t, zstdRaw(bytes(PROSE)))
    expect(await collect([j, t])).toEqual([
      ...TEXTS.map((text, i) => ({ file: j, line: i + 1, text })),
      { file: t, text: PROSE },
    ])
  })

  it('splits lines across zstd blocks and input chunks', async () => {
    // 1 MB of JSONL: 8 blocks of 128 KiB, lines straddling every boundary.
    const lines = Array.from({ length: 10_000 }, (_, i) => `line ${i} ${'z'.repeat(i % 150)}`)
    const j = tmp.path('big.jsonl.zst')
    await writeFile(j, zstdRaw(bytes(jsonl(lines))))
    const records = await collect([j])
    expect(records.length).toBe(lines.length)
    expect(records.every((r, i) => r.text === lines[i] && r.line === i + 1)).toBe(true)
  })

  it('reports a corrupt .zst file', async () => {
    const j = tmp.path('fake.jsonl.zst')
    await writeFile(j, jsonl(TEXTS))
    const records = await collect([j])
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({ file: j, error: expect.stringMatching(/^cannot read: /) })
  })

  // Skipped where the zstd command line tool is missing: nothing in Node 20 compresses zstd.
  it.skipIf(!hasZstdCli)('reads files compressed by the zstd tool', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `record ${i}: the quick brown fox ${i % 97}`)
    const plain = tmp.path('real.jsonl')
    await writeFile(plain, jsonl(lines))
    execFileSync('zstd', ['-q', plain, '-o', `${plain}.zst`])
    const prose = tmp.path('real.txt')
    await writeFile(prose, PROSE)
    execFileSync('zstd', ['-q', prose, '-o', `${prose}.zst`])
    const records = await collect([`${plain}.zst`, `${prose}.zst`])
    expect(records.slice(0, -1).map((r) => r.text)).toEqual(lines)
    expect(records.at(-1)).toEqual({ file: `${prose}.zst`, text: PROSE })
  })

  it.skipIf(!hasZstdCli)('reads concatenated frames and stops a zstd bomb at the limit', async () => {
    const raw = tmp.path('bomb.txt')
    await writeFile(raw, repeated(16 * 1024 * 1024, 'a'))
    execFileSync('zstd', ['-q', '--rm', raw, '-o', `${raw}.zst`])
    const frame = u8(await readFile(`${raw}.zst`))
    // Two frames make a valid 32 MiB text; 400 make 6.7 GB, stopped at the limit.
    await writeFile(`${raw}.zst`, cat([frame, frame]))
    expect(await collect([`${raw}.zst`], { maxDocumentBytes: 32 * 1024 * 1024 })).toEqual([{ file: `${raw}.zst`, text: 'a'.repeat(32 * 1024 * 1024) }])
    await writeFile(`${raw}.zst`, cat(Array.from({ length: 400 }, () => frame)))
    const base = process.memoryUsage().rss
    expect(await collect([`${raw}.zst`], { maxDocumentBytes: 1024 * 1024 })).toEqual([
      { file: `${raw}.zst`, error: `document exceeds the limit of ${1024 * 1024} bytes` },
    ])
    expect(process.memoryUsage().rss - base).toBeLessThan(64 * 1024 * 1024)
  })
})
