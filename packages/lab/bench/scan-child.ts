/**
 * The floor of `pnpm bench scan`, in a fresh process: reads, parses and tokenizes
 * (read + JSON.parse + BPE) on one thread, nothing else. It runs bundled as the
 * packages are built (bundled() in scan.ts), as the scans run the built CLI (see
 * cli-child.mjs). Prints one JSON line: seconds (after the tokenizer is loaded),
 * tokens, peak RSS in bytes.
 *
 * argv[2] is JSON: { mode: 'floor', inputs, backend? }.
 */
import { readSources } from '../../detector/src/scan/sources/index.js'
import { getTokenizer, type TokenizerBackend } from '../../detector/src/text/tokenizer.js'

const o = JSON.parse(process.argv[2]) as { mode: 'floor'; inputs: string[]; backend?: TokenizerBackend }
let tokens = 0
const tok = getTokenizer('cl100k_base', o.backend)
tok.encode('load the encoding before the clock starts')
const t0 = performance.now()
for await (const r of readSources(o.inputs)) if (r.text !== undefined) tokens += tok.encode(r.text).length
const seconds = (performance.now() - t0) / 1000
// maxRSS is in KiB and covers every thread of the process.
console.log(JSON.stringify({ seconds, tokens, peakRss: process.resourceUsage().maxRSS * 1024 }))
