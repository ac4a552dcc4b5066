/**
 * One measured scan in a fresh process (`pnpm bench scan` spawns it), so peak
 * RSS belongs to that scan alone. Prints one JSON line: seconds, tokens, peak
 * RSS in bytes (all threads: the workers run in this process).
 *
 * argv[2] is JSON: { mode: 'floor' | 'scan', inputs, keyTexts?, workers?, backend? }.
 * The floor reads, parses and tokenizes (read + JSON.parse + BPE) on one thread,
 * nothing else; the scan does everything (normalize, tokenize, score, span, pool).
 */
import { runScan } from '../../detector/src/scan/run.js'
import { readSources } from '../../detector/src/scan/sources/index.js'
import { getTokenizer, type TokenizerBackend } from '../../detector/src/text/tokenizer.js'

const o = JSON.parse(process.argv[2]) as { mode: 'floor' | 'scan'; inputs: string[]; keyTexts?: string[]; workers?: number; backend?: TokenizerBackend }
let tokens = 0
const t0 = performance.now()
if (o.mode === 'floor') {
  const tok = getTokenizer('cl100k_base', o.backend)
  for await (const r of readSources(o.inputs)) if (r.text !== undefined) tokens += tok.encode(r.text).length
} else {
  const s = await runScan(
    { inputs: o.inputs, keyTexts: o.keyTexts!, workers: o.workers, scorer: { tokenizerBackend: o.backend } },
    { record: () => {}, warn: () => {} },
  )
  tokens = s.tokens
}
const seconds = (performance.now() - t0) / 1000
// maxRSS is in KiB and covers every thread of the process.
console.log(JSON.stringify({ seconds, tokens, peakRss: process.resourceUsage().maxRSS * 1024 }))
