/**
 * Test helper run as a child process: reads `-` (standard input) with the
 * format given as argv[2] and prints every record as one JSON line.
 */
import { readSources, type SourceFormat } from '../../src/scan/sources/index.js'

const format = process.argv[2] as SourceFormat | undefined
for await (const record of readSources(['-'], { format: format || undefined })) process.stdout.write(`${JSON.stringify(record)}\n`)
