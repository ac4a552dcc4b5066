/**
 * Where the data pages of a flat Parquet column chunk start, and the first row of
 * each, read from the pages' own headers: what an offset index records, for files
 * written without one (pyarrow writes none unless asked).
 *
 * A scan worker reads a row group 512 rows at a time. Without page locations each
 * read fetched and decompressed the group's whole column chunk, so a group of G rows
 * cost G / 512 chunk reads, quadratic in the group's size: a 100k-row group of 108 MB
 * made a 200 MB file take 1.8x as long and 2.6x the memory, and pyarrow's groups run
 * to 1M rows. Walking the headers costs one small read per page (pages are ~1 MB).
 */
import { parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet'
import { parquetHeader } from 'hyparquet/src/column.js'

/** A data page as an offset index records it (the size counts its header). */
export type PageLocation = { offset: bigint; compressed_page_size: number; first_row_index: bigint }
type ColumnChunk = FileMetaData['row_groups'][number]['columns'][number]

/** Bytes read for a page header at first; a header with long statistics is read again, larger. */
const HEADER_PEEK = 1024
/** A page header is a few dozen bytes, or up to a few KB of statistics: past this the chunk is not trusted. */
const HEADER_MAX = 1 << 20
/**
 * Pages kept per chunk (~100 bytes each): writers cut pages of ~1 MB, so this is a
 * 64 GB chunk; a hostile file of tiny pages is read whole instead, as before.
 */
const PAGES_MAX = 1 << 16

/**
 * The column chunk of top-level column `column` in row group `group` when the
 * column is flat (a primitive, not repeated: one value per row, so a v1 page's
 * value count is its row count) and the file has no offset index for it; else
 * null, and the reader lets hyparquet do as it does (the index, or the whole chunk).
 */
export function unindexedFlatChunk(metadata: FileMetaData, group: number, column: string): ColumnChunk | null {
  // The chunk first: a file with an offset index (read per block) needs no schema walk.
  const chunk = metadata.row_groups[group]?.columns.find((c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === column)
  if (!chunk?.meta_data || chunk.file_path) return null
  if (chunk.offset_index_offset !== undefined && chunk.offset_index_length) return null
  const node = parquetSchema(metadata).children.find((c) => c.element.name === column)
  if (!node || node.children.length > 0 || node.element.repetition_type === 'REPEATED') return null
  return chunk
}

/**
 * The data pages of `chunk` (from {@link unindexedFlatChunk}), as offset-index page
 * locations, or null when the headers do not add up to the group's `rows` (a damaged
 * chunk is then read whole, and its error reported as before).
 */
export async function walkPageHeaders(buffer: AsyncBuffer, chunk: ColumnChunk, rows: number): Promise<PageLocation[] | null> {
  const meta = chunk.meta_data!
  let at = Number(meta.dictionary_page_offset || meta.data_page_offset)
  const end = at + Number(meta.total_compressed_size)
  if (!(end <= buffer.byteLength)) return null
  // The bytes last fetched: small pages' next headers are often already in them.
  let window = new Uint8Array(0)
  let windowAt = 0
  const pages: PageLocation[] = []
  let row = 0
  try {
    while (at < end) {
      let header: ReturnType<typeof parquetHeader> | undefined
      let length = 0
      for (let peek = HEADER_PEEK; header === undefined; ) {
        if (at >= windowAt && at < windowAt + window.length) {
          const reader = { view: new DataView(window.buffer, window.byteOffset + (at - windowAt)), offset: 0 }
          try {
            header = parquetHeader(reader)
            length = reader.offset
            break
          } catch {
            // Maybe cut short by the window's end (a RangeError, or a struct without its
            // end): read more. With the rest of the chunk in hand it is damage.
            if (windowAt + window.length >= end || peek > HEADER_MAX) return null
          }
        }
        window = new Uint8Array(await buffer.slice(at, Math.min(end, at + peek)))
        windowAt = at
        peek *= 2
      }
      const h = header!
      const size = length + h.compressed_page_size
      if (!(h.compressed_page_size >= 0) || at + size > end) return null
      const count = h.type === 'DATA_PAGE' ? h.data_page_header?.num_values : h.type === 'DATA_PAGE_V2' ? h.data_page_header_v2?.num_rows : 0
      if (count === undefined || !(count >= 0)) return null
      if (count > 0 && pages.push({ offset: BigInt(at), compressed_page_size: size, first_row_index: BigInt(row) }) > PAGES_MAX) return null
      row += count
      at += size
    }
  } catch {
    return null
  }
  return row === rows && pages.length > 0 ? pages : null
}
