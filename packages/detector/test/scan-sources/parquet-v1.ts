/**
 * Parquet files with version-1 data pages and no offset index, as pyarrow writes them
 * by default: hyparquet-writer writes only version-2 pages (with an offset index
 * unless told not to), so this builds them from its page-header and footer writers.
 * Uncompressed, PLAIN, one BYTE_ARRAY (UTF8) column named `text`.
 */
import { ByteWriter } from 'hyparquet-writer'
import { writePageHeader } from 'hyparquet-writer/src/datapage.js'
import { writeMetadata } from 'hyparquet-writer/src/metadata.js'

const utf8 = new TextEncoder()

/** Definition levels (bit width 1) as RLE runs, with the 4-byte length a v1 page puts first. */
function definitionLevels(values: Array<string | null>): number[] {
  const runs: number[] = []
  for (let i = 0; i < values.length; ) {
    const defined = values[i] !== null ? 1 : 0
    let n = 1
    while (i + n < values.length && (values[i + n] !== null ? 1 : 0) === defined) n++
    // A run's header is the varint (count << 1); its value takes one byte.
    for (let h = n << 1; ; h >>>= 7) {
      if (h < 0x80) {
        runs.push(h)
        break
      }
      runs.push((h & 0x7f) | 0x80)
    }
    runs.push(defined)
    i += n
  }
  const len = runs.length
  return [len & 0xff, (len >>> 8) & 0xff, (len >>> 16) & 0xff, len >>> 24, ...runs]
}

/**
 * A file of `groups` (rows per row group), each cut into pages of `pageRows` rows.
 * With `optional` the column is nullable (null entries allowed); else required.
 */
export function parquetV1(texts: Array<string | null>, groups: number[], pageRows: number, optional: boolean): Uint8Array<ArrayBuffer> {
  const w = new ByteWriter()
  w.appendBytes(utf8.encode('PAR1'))
  const rowGroups = []
  let at = 0
  for (const rows of groups) {
    const start = w.offset
    const values = texts.slice(at, at + rows)
    at += rows
    for (let p = 0; p < values.length; p += pageRows) {
      const page = values.slice(p, p + pageRows)
      const body: number[] = optional ? definitionLevels(page) : []
      for (const v of page) {
        if (v === null) continue
        const b = utf8.encode(v)
        body.push(b.length & 0xff, (b.length >>> 8) & 0xff, (b.length >>> 16) & 0xff, b.length >>> 24, ...b)
      }
      writePageHeader(w, {
        type: 'DATA_PAGE',
        uncompressed_page_size: body.length,
        compressed_page_size: body.length,
        data_page_header: { num_values: page.length, encoding: 'PLAIN', definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' },
      })
      w.appendBytes(Uint8Array.from(body))
    }
    const size = BigInt(w.offset - start)
    rowGroups.push({
      columns: [{
        file_offset: BigInt(start),
        meta_data: {
          type: 'BYTE_ARRAY', encodings: ['PLAIN', 'RLE'], path_in_schema: ['text'], codec: 'UNCOMPRESSED',
          num_values: BigInt(rows), total_uncompressed_size: size, total_compressed_size: size, data_page_offset: BigInt(start),
        },
      }],
      total_byte_size: size,
      num_rows: BigInt(rows),
    })
  }
  const footerStart = w.offset
  writeMetadata(w, {
    version: 1,
    schema: [
      { name: 'root', num_children: 1 },
      { name: 'text', type: 'BYTE_ARRAY', repetition_type: optional ? 'OPTIONAL' : 'REQUIRED', converted_type: 'UTF8' },
    ],
    num_rows: BigInt(at),
    row_groups: rowGroups,
    metadata_length: 0,
  } as never)
  w.appendUint32(w.offset - footerStart)
  w.appendBytes(utf8.encode('PAR1'))
  return new Uint8Array(w.getBuffer() as ArrayBuffer)
}
