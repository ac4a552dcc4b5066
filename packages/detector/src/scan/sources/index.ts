/**
 * Input side of the corpus scanner: turns files, directories and standard
 * input into one ordered, streaming sequence of {@link SourceRecord}s, one per
 * document or per input problem, with bounded memory however large the input.
 */
import { stat } from 'node:fs/promises'
import type { SourceRecord } from '../types.js'
import { cannotRead } from './errors.js'
import { parseFieldPath } from './field.js'
import { readJsonl } from './jsonl.js'
import { readParquet } from './parquet.js'
import { isS3, listS3, type ListedObject, type S3Lister } from './s3.js'
import { openBytes, STDIN, type Compression } from './stream.js'
import { readText } from './text.js'
import { walkDirectory, type Entry } from './walk.js'

/** Input formats the scanner reads. */
export type SourceFormat = 'jsonl' | 'parquet' | 'text'

/** Options of {@link readSources}. */
export interface ReadSourcesOptions {
  /** Format of every input; by default detected from each file's extension. */
  format?: SourceFormat
  /** Dot path of the document text in a JSONL record or Parquet row (`messages.1.content`); default `text`. */
  field?: string
  /** Largest document (JSONL line, text file, decompressed text) read, in bytes; default 16 MiB. */
  maxDocumentBytes?: number
  /** Files to leave out, by {@link fileIdentity} (the scan's own output files). */
  skip?: ReadonlySet<string>
  /** How `s3://` inputs are listed; default: a fresh listing (see `listOnce`). */
  list?: S3Lister
}

/** Default {@link ReadSourcesOptions.maxDocumentBytes}: 16 MiB. */
export const DEFAULT_MAX_DOCUMENT_BYTES = 16 * 1024 * 1024

/**
 * Format and compression of a path from its extension: a `.gz` or `.zst`
 * suffix is compression, the extension before it gives the format
 * (`.jsonl`, `.ndjson`, `.json` → jsonl; `.parquet` → parquet; else text).
 */
export function detectFormat(path: string): { format: SourceFormat; compression: Compression } {
  let name = path.toLowerCase()
  let compression: Compression
  if (name.endsWith('.gz')) compression = 'gzip'
  else if (name.endsWith('.zst')) compression = 'zstd'
  if (compression) name = name.slice(0, name.lastIndexOf('.'))
  const format: SourceFormat = /\.(jsonl|ndjson|json)$/.test(name) ? 'jsonl' : name.endsWith('.parquet') ? 'parquet' : 'text'
  return { format, compression }
}

/** One input file with its format, or a record for an input that cannot be read. */
export type InputFile =
  /** `object`: an `s3://` object's size and ETag, as its listing gave them. */
  | { file: string; format: SourceFormat; compression: Compression; object?: ListedObject; error?: undefined }
  | (SourceRecord & { error: string })

/** `dev:ino` of a file: how a scan recognises its own output among its inputs. */
export const fileIdentity = (s: { dev: number; ino: number }) => `${s.dev}:${s.ino}`

/**
 * The files of `inputs` in input order (directories and `s3://` prefixes
 * expanded recursively in path order, hidden entries skipped), each with its format and compression,
 * or an error record for a path that cannot be read. Files whose identity is
 * in `skip` (the scan's own output, as grep skips its output) are left out.
 */
export async function* listInputs(inputs: string[], format?: SourceFormat, skip?: ReadonlySet<string>, list: S3Lister = listS3): AsyncGenerator<InputFile> {
  const formatOf = (path: string) => {
    const detected = detectFormat(path)
    return { format: format ?? detected.format, compression: detected.compression }
  }
  const file = async (path: string): Promise<InputFile | null> => {
    if (path === STDIN) return { file: STDIN, format: format ?? 'jsonl', compression: undefined }
    if (skip?.size) {
      try {
        if (skip.has(fileIdentity(await stat(path)))) return null
      } catch {
        // reported when read
      }
    }
    return { file: path, ...formatOf(path) }
  }
  for (const input of inputs) {
    if (input === STDIN) {
      yield (await file(STDIN))!
      continue
    }
    if (isS3(input)) {
      let objects
      try {
        objects = await list(input)
      } catch (e) {
        yield { file: input, error: cannotRead(e) }
        continue
      }
      for (const o of objects) yield { file: o.url, ...formatOf(o.url), object: { size: o.size, etag: o.etag } }
      continue
    }
    let isDirectory: boolean
    try {
      isDirectory = (await stat(input)).isDirectory()
    } catch (e) {
      yield { file: input, error: cannotRead(e) }
      continue
    }
    if (!isDirectory) {
      const f = await file(input)
      if (f) yield f
      continue
    }
    // Walked as the files are read: the listing is never held whole.
    const walk = walkDirectory(input)
    for (;;) {
      let next: IteratorResult<Entry>
      try {
        next = await walk.next()
      } catch (e) {
        // The directory itself could not be listed (the walk reports every path below it).
        yield { file: input, error: cannotRead(e) }
        break
      }
      if (next.done) break
      const entry = next.value
      if (entry.error !== undefined) {
        yield { file: entry.file, error: cannotRead(entry.error) }
        continue
      }
      const f = await file(entry.file)
      if (f) yield f
    }
  }
}

/** Reader settings after validation (see {@link sourceSettings}). */
export interface Settings {
  field: string
  segments: string[]
  maxBytes: number
}

/** Validates the reader options. @throws RangeError for an invalid `field` or `maxDocumentBytes`. */
export function sourceSettings(options: ReadSourcesOptions): Settings {
  const field = options.field ?? 'text'
  const segments = parseFieldPath(field)
  const maxBytes = options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxDocumentBytes must be a positive integer, not ${maxBytes}`)
  return { field, segments, maxBytes }
}

/**
 * Stream the documents of `inputs` (files, directories read recursively in
 * path order with hidden entries skipped, or `-` for standard input) in input
 * order. Problems with an input (missing file, bad line, binary file…) become
 * error records and reading goes on; nothing valid is lost.
 *
 * @throws RangeError at the first iteration for an invalid `field` or `maxDocumentBytes`.
 */
export async function* readSources(inputs: string[], options: ReadSourcesOptions = {}): AsyncGenerator<SourceRecord> {
  const settings = sourceSettings(options)
  for await (const f of listInputs(inputs, options.format, options.skip, options.list)) {
    if (f.error !== undefined) yield f
    else yield* readFile(f, settings)
  }
}

/** Dispatch one file (or stdin) to its format's reader. */
export async function* readFile(f: { file: string; format: SourceFormat; compression: Compression }, s: Settings): AsyncGenerator<SourceRecord> {
  const { file, format, compression } = f
  if (format === 'jsonl') {
    yield* readJsonl(file, openBytes(file, compression), s.field, s.segments, s.maxBytes)
  } else if (format === 'parquet') {
    // Parquet needs random access (footer first), which a pipe or a compressed stream cannot give.
    if (file === STDIN) yield { file, error: 'Parquet cannot be read from standard input' }
    else if (compression) yield { file, error: `Parquet cannot be read through ${compression}: decompress the file first` }
    else yield* readParquet(file, s.field, s.segments, s.maxBytes)
  } else {
    yield await readText(file, compression, s.maxBytes)
  }
}
