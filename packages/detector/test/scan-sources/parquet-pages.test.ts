import { writeFile } from 'node:fs/promises'
import { parquetMetadata, readOffsetIndex } from 'hyparquet'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { seededRandom } from '@tracemark/watermark'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { readParquet } from '../../src/scan/sources/parquet.js'
import { unindexedFlatChunk, walkPageHeaders } from '../../src/scan/sources/page-locations.js'
import { rangeBuffer } from '../../src/scan/sources/range-buffer.js'
import { parquetV1 } from './parquet-v1.js'
import { tempDir } from './helpers.js'

// Every byte range the Parquet reader fetches (all reads go through rangeBuffer).
const fetched: Array<[number, number]> = []
vi.mock('../../src/scan/sources/range-buffer.js', async (actual) => {
  const real = await actual<typeof import('../../src/scan/sources/range-buffer.js')>()
  return {
    rangeBuffer: (size: number, fill: (into: Uint8Array, start: number) => Promise<void>) => {
      const b = real.rangeBuffer(size, fill)
      return { byteLength: b.byteLength, slice: (start: number, end?: number) => (fetched.push([start, Math.min(end ?? size, size)]), b.slice(start, end)) }
    },
  }
})

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  tmp = await tempDir()
})
afterAll(() => tmp.cleanup())

/** ~5 KB of random words: compression leaves pages of several KB, as real text does. */
const rnd = seededRandom(8)
const words = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 36 ** 5).toString(36)).join(' ')
const again = words(800)
/** Texts of ~5 KB (so that a page holds a few rows), a third the same (so a dictionary pays), some null. */
const texts: Array<string | null> = Array.from({ length: 300 }, (_, i) => (i % 37 === 5 ? null : i % 3 === 0 ? again : words(800 + (i % 50))))

function writerFile(rows: Array<string | null>, offsetIndex: boolean, codec: 'SNAPPY' | 'UNCOMPRESSED'): Uint8Array<ArrayBuffer> {
  return new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'text', data: rows, type: 'STRING', offsetIndex }], rowGroupSize: 128, pageSize: 20_000, codec, statistics: false }))
}

/** Bytes fetched from inside [from, to), but for the footer's read (the file's last 512 KiB, up to its end). */
const fetchedWithin = (from: number, to: number, size: number) =>
  fetched.reduce((n, [a, b]) => (b === size ? n : n + Math.max(0, Math.min(b, to) - Math.max(a, from))), 0)

describe('Parquet page locations from the page headers', () => {
  it('are the offset index the writer records, page for page, with and without a dictionary and compression', async () => {
    for (const codec of ['SNAPPY', 'UNCOMPRESSED'] as const) {
      for (const rows of [texts, texts.map((t, i) => t && `${t}${i}`)]) {
        const bytes = writerFile(rows, true, codec)
        const metadata = parquetMetadata(bytes.buffer)
        expect(metadata.row_groups.length).toBe(3)
        for (const group of metadata.row_groups) {
          const chunk = group.columns[0]
          const index = readOffsetIndex({ view: new DataView(bytes.buffer, Number(chunk.offset_index_offset), chunk.offset_index_length), offset: 0 })
          expect(index.page_locations.length, 'several pages per group').toBeGreaterThan(3)
          const walked = await walkPageHeaders(rangeBuffer(bytes.length, async (into, start) => into.set(bytes.subarray(start, start + into.length))), chunk, Number(group.num_rows))
          expect(walked, codec).toEqual(index.page_locations)
        }
      }
    }
  })

  it('count a version-1 page\'s values as its rows, nulls included', async () => {
    for (const optional of [false, true]) {
      const rows = optional ? texts.slice(0, 50) : texts.slice(0, 50).map((t, i) => t ?? `filled ${i}`)
      const bytes = parquetV1(rows, [20, 30], 6, optional)
      const metadata = parquetMetadata(bytes.buffer)
      const buffer = rangeBuffer(bytes.length, async (into, start) => into.set(bytes.subarray(start, start + into.length)))
      const chunk = unindexedFlatChunk(metadata, 1, 'text')!
      expect(chunk, 'a flat column without an offset index').not.toBeNull()
      const pages = await walkPageHeaders(buffer, chunk, 30)
      expect(pages!.map((p) => Number(p.first_row_index))).toEqual([0, 6, 12, 18, 24])
      // A group whose headers do not add up to its rows is not trusted.
      expect(await walkPageHeaders(buffer, chunk, 31)).toBeNull()
    }
  })

  it('are not kept for a chunk of more pages than a writer cuts (2^16): such a file is read as before', async () => {
    // 70,000 one-row pages of a few bytes: a hostile layout whose locations would take ~7 MB.
    const rows = Array.from({ length: 70_000 }, (_, i) => `t${i}`)
    const bytes = parquetV1(rows, [70_000], 1, false)
    const metadata = parquetMetadata(bytes.buffer)
    const buffer = rangeBuffer(bytes.length, async (into, start) => into.set(bytes.subarray(start, start + into.length)))
    expect(await walkPageHeaders(buffer, unindexedFlatChunk(metadata, 0, 'text')!, 70_000)).toBeNull()
    const file = tmp.path('tiny-pages.parquet')
    await writeFile(file, bytes)
    const got = []
    for await (const r of readParquet(file, 'text', ['text'], 1 << 20, { rowStart: 65_000, rowEnd: 65_003 })) got.push(r)
    expect(got).toEqual([0, 1, 2].map((i) => ({ file, row: 65_000 + i, text: `t${65_000 + i}` })))
  })

  it('are not used for nested columns or files with an offset index', () => {
    const nested = new Uint8Array(
      parquetWriteBuffer({
        columnData: [{ name: 'meta', data: [{ body: 'a' }, { body: 'b' }] }],
        schema: [
          { name: 'root', num_children: 1 },
          { name: 'meta', num_children: 1, repetition_type: 'OPTIONAL' },
          { name: 'body', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        ],
      }),
    )
    expect(unindexedFlatChunk(parquetMetadata(nested.buffer), 0, 'meta')).toBeNull()
    const indexed = writerFile(texts, true, 'SNAPPY')
    expect(unindexedFlatChunk(parquetMetadata(indexed.buffer), 0, 'text')).toBeNull()
    const plain = writerFile(texts, false, 'SNAPPY')
    expect(unindexedFlatChunk(parquetMetadata(plain.buffer), 0, 'text')).not.toBeNull()
  })
})

describe('reading a row range of a file without an offset index', () => {
  const files = [
    { name: 'v2-snappy.parquet', bytes: () => writerFile(texts, false, 'SNAPPY'), rows: texts },
    { name: 'v2-plain.parquet', bytes: () => writerFile(texts, false, 'UNCOMPRESSED'), rows: texts },
    { name: 'v1-optional.parquet', bytes: () => parquetV1(texts, [128, 128, 44], 4, true), rows: texts },
  ]
  for (const f of files) {
    it(`gives the range's rows and fetches only their pages: ${f.name}`, async () => {
      const file = tmp.path(f.name)
      const bytes = f.bytes()
      await writeFile(file, bytes)
      const metadata = parquetMetadata(bytes.buffer)
      // Ranges inside a page, across pages, at a group's first and last rows, across groups.
      for (const [rowStart, rowEnd] of [[40, 48], [0, 3], [120, 136], [250, 300], [127, 128]]) {
        fetched.length = 0
        const got = []
        for await (const r of readParquet(file, 'text', ['text'], 1 << 20, { rowStart, rowEnd })) got.push(r)
        expect(got, `${rowStart}-${rowEnd}`).toEqual(
          f.rows.slice(rowStart, rowEnd).map((t, i) => (t === null ? { file, row: rowStart + i, error: expect.stringMatching(/null|not a string/) } : { file, row: rowStart + i, text: t })),
        )
        // Each group it touches: its page headers (a 1 KiB peek each) and the pages
        // of the range, far below the whole chunk a reader without locations fetches.
        let group = 0
        for (const g of metadata.row_groups) {
          const start = group
          group += Number(g.num_rows)
          if (rowEnd <= start || rowStart >= group || (rowStart <= start && rowEnd >= group)) continue
          const meta = g.columns[0].meta_data!
          const from = Number(meta.dictionary_page_offset || meta.data_page_offset)
          const size = Number(meta.total_compressed_size)
          expect(fetchedWithin(from, from + size, bytes.length), `${rowStart}-${rowEnd}: bytes of a ${size}-byte chunk`).toBeLessThan(size / 2)
        }
      }
    })
  }
})

describe('the footer of a local file', () => {
  it('is read once for a file\'s blocks, and again when the file changes', async () => {
    const file = tmp.path('footer.parquet')
    const rows = (tag: string) => Array.from({ length: 64 }, (_, i) => `${tag} ${i}`)
    const write = (tag: string) => writeFile(file, new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'text', data: rows(tag), type: 'STRING' }], rowGroupSize: 16 })))
    const read = async (rowStart: number, rowEnd: number) => {
      const got = []
      for await (const r of readParquet(file, 'text', ['text'], 1 << 20, { rowStart, rowEnd })) got.push((r as { text?: string }).text)
      return got
    }
    await write('first')
    fetched.length = 0
    expect(await read(0, 8)).toEqual(rows('first').slice(0, 8))
    expect(await read(40, 48)).toEqual(rows('first').slice(40, 48))
    const size = (await import('node:fs')).statSync(file).size
    // A footer read is the one that runs to the file's end.
    expect(fetched.filter(([, end]) => end === size)).toHaveLength(1)
    // Rewritten (another size, another time): the cached footer no longer names it.
    await new Promise((r) => setTimeout(r, 20))
    await write('second, longer')
    expect(await read(40, 48)).toEqual(rows('second, longer').slice(40, 48))
  })
})

