import { writeFile } from 'node:fs/promises'
import { parquetMetadata } from 'hyparquet'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readParquet } from '../../src/scan/sources/parquet.js'
import { collect, gz, tempDir } from './helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  tmp = await tempDir()
})
afterAll(() => tmp.cleanup())

const write = (file: string, buffer: ArrayBuffer) => writeFile(file, new Uint8Array(buffer))

// One row group of 64 rows in pages of ~4 rows (with the offset index the writer adds).
const pagedTexts = Array.from({ length: 64 }, (_, i) => `row ${i} `.repeat(60))
const pagedFile = () =>
  new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'text', data: pagedTexts, type: 'STRING' }], rowGroupSize: 64, pageSize: 2000, codec: 'UNCOMPRESSED', statistics: false }))

/** Rows [40, 48) of a file, as a scan worker reads its block. */
async function rows40to48(file: string): Promise<unknown[]> {
  const got: unknown[] = []
  for await (const r of readParquet(file, 'text', ['text'], 1 << 20, { rowStart: 40, rowEnd: 48 })) got.push(r)
  return got
}

describe('Parquet', () => {
  it('reads the text column row by row across row groups, with null and empty values reported', async () => {
    const file = tmp.path('docs.parquet')
    const text = ['first', null, 'third', '', 'fifth — ünïcode', '  \n ', 'seventh']
    await write(
      file,
      parquetWriteBuffer({
        columnData: [
          { name: 'id', data: text.map((_, i) => i), type: 'INT32' },
          { name: 'text', data: text, type: 'STRING' },
        ],
        // Three row groups, so rows must be numbered across group boundaries.
        rowGroupSize: 3,
      }),
    )
    expect(await collect([file])).toEqual([
      { file, row: 0, text: 'first' },
      { file, row: 1, error: 'field text is null, not a string' },
      { file, row: 2, text: 'third' },
      { file, row: 3, error: 'empty document' },
      { file, row: 4, text: 'fifth — ünïcode' },
      { file, row: 5, error: 'empty document' },
      { file, row: 6, text: 'seventh' },
    ])
    expect((await collect([file], { field: 'id' }))[0]).toEqual({ file, row: 0, error: 'field id is a number, not a string' })
  })

  it('follows a nested dot path into a struct column, in a GZIP-compressed file', async () => {
    const file = tmp.path('nested.parquet')
    await write(
      file,
      parquetWriteBuffer({
        columnData: [
          { name: 'id', data: [1, 2, 3, 4] },
          { name: 'meta', data: [{ body: 'a body' }, { body: null }, null, { body: 'd body' }] },
        ],
        schema: [
          { name: 'root', num_children: 2 },
          { name: 'id', type: 'INT32', repetition_type: 'REQUIRED' },
          { name: 'meta', num_children: 1, repetition_type: 'OPTIONAL' },
          { name: 'body', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        ],
        rowGroupSize: 2,
        codec: 'GZIP',
        compressors: { GZIP: (b: Uint8Array) => gz(b) },
      }),
    )
    expect(await collect([file], { field: 'meta.body' })).toEqual([
      { file, row: 0, text: 'a body' },
      { file, row: 1, error: 'field meta.body is null, not a string' },
      { file, row: 2, error: 'no field meta.body' },
      { file, row: 3, text: 'd body' },
    ])
  })

  it('reports a missing column once for the file', async () => {
    const file = tmp.path('other.parquet')
    await write(file, parquetWriteBuffer({ columnData: [{ name: 'content', data: ['x', 'y'], type: 'STRING' }] }))
    expect(await collect([file])).toEqual([{ file, error: 'no column text (columns: content)' }])
  })

  it('reports a corrupt or non-Parquet file once and goes on', async () => {
    const fake = tmp.path('fake.parquet')
    await writeFile(fake, 'this is not parquet at all, just some text that is long enough')
    const tiny = tmp.path('tiny.parquet')
    await writeFile(tiny, 'PAR1')
    const truncated = tmp.path('truncated.parquet')
    const good = parquetWriteBuffer({ columnData: [{ name: 'text', data: ['a', 'b'], type: 'STRING' }] })
    await write(truncated, good.slice(0, good.byteLength - 20))
    const ok = tmp.path('ok.parquet')
    await write(ok, good)
    const records = await collect([fake, tiny, truncated, ok])
    expect(records.slice(0, 3).map((r) => [r.file, r.row, r.error?.startsWith('not a Parquet file: ')])).toEqual([
      [fake, undefined, true],
      [tiny, undefined, true],
      [truncated, undefined, true],
    ])
    expect(records.slice(3)).toEqual([
      { file: ok, row: 0, text: 'a' },
      { file: ok, row: 1, text: 'b' },
    ])
  })

  it('reports a corrupt row group and reads the next one', async () => {
    const file = tmp.path('damaged.parquet')
    const texts = ['alpha '.repeat(50), 'beta '.repeat(50), 'gamma '.repeat(50), 'delta '.repeat(50)]
    const bytes = new Uint8Array(
      parquetWriteBuffer({ columnData: [{ name: 'text', data: texts, type: 'STRING' }], rowGroupSize: 2, codec: 'UNCOMPRESSED', statistics: false }),
    )
    // Overwrite the first page's header (just after the leading magic): the footer stays intact.
    bytes.fill(0xff, 4, 24)
    await writeFile(file, bytes)
    const records = await collect([file])
    expect(records[0]).toMatchObject({ file, row: 0, error: expect.stringMatching(/^cannot read rows 0–1: /) })
    expect(records.slice(1)).toEqual([
      { file, row: 2, text: texts[2] },
      { file, row: 3, text: texts[3] },
    ])
  })

  it('reads only the pages that hold a row range, when the file has an offset index', async () => {
    // One row group of 64 rows in pages of ~4 rows. A scan worker reads one block's
    // rows; reading the whole column chunk for each block read a row group once per
    // block (8 times for 4096-row groups, more for larger ones, over the network too).
    const file = tmp.path('paged.parquet')
    const bytes = pagedFile()
    // Wreck the first page's header: a reader that fetches the whole chunk walks
    // through it; one that follows the offset index never reads it.
    bytes.fill(0xff, 4, 24)
    await writeFile(file, bytes)
    expect(await rows40to48(file)).toEqual(pagedTexts.slice(40, 48).map((text, i) => ({ file, row: 40 + i, text })))
  })

  it('reads a row range through the whole chunk when the offset index is damaged', async () => {
    const file = tmp.path('bad-index.parquet')
    const bytes = pagedFile()
    const chunk = parquetMetadata(bytes.buffer).row_groups[0].columns[0]
    expect(chunk.offset_index_length).toBeGreaterThan(0)
    bytes.fill(0xff, Number(chunk.offset_index_offset), Number(chunk.offset_index_offset) + chunk.offset_index_length!)
    await writeFile(file, bytes)
    expect(await rows40to48(file)).toEqual(pagedTexts.slice(40, 48).map((text, i) => ({ file, row: 40 + i, text })))
  })

  it('refuses Parquet through compression with a clear error', async () => {
    const file = tmp.path('docs.parquet.gz')
    await writeFile(file, gz('x'))
    expect(await collect([file])).toEqual([{ file, error: 'Parquet cannot be read through gzip: decompress the file first' }])
  })
})
