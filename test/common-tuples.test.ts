import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKey } from '@tracemark/watermark'
import { describe, expect, it } from 'vitest'
import { DEFAULT_COMMON_FRACTION, findCommonTuples } from '../packages/detector/src/scan/common.js'
import { gammaUpperTailLog } from '../packages/detector/src/stats/tails.js'
import { createScorer } from '../packages/detector/src/scan/document.js'
import { getTokenizer } from '../packages/detector/src/text/tokenizer.js'
import { splitCorpus, tokenizeDocuments } from '../packages/lab/src/corpus/corpus.js'
import { binomialBounds } from './helpers.js'

// One investigator holds ONE key. With kgw, tuples shared by many human documents
// carry the same green bit in all of them, so a single key's false-positive rate
// on human text depends on the key. The common-tuple filter (on by default for kgw
// keys in scans) drops tuples found in >= 0.4 % of the documents before scoring.
describe('common-tuple filter', () => {
  const tok = getTokenizer('cl100k_base')
  const pieces: string[] = []
  for (const d of tokenizeDocuments(splitCorpus().heldOut)) {
    for (let i = 0; i + 200 <= d.length && pieces.length < 5082; i += 200) pieces.push(tok.decode(d.subarray(i, i + 200)))
  }
  const dir = mkdtempSync(join(tmpdir(), 'tm-common-'))
  const corpus = join(dir, 'human.jsonl')
  writeFileSync(corpus, pieces.map((text) => JSON.stringify({ text })).join('\n'))

  it('makes one kgw key\'s false-positive count on human text behave like independent trials', async () => {
    // Twelve keys, the same 5,082 human pieces. If each key's count of p < 0.01 were
    // Binomial(N, q), sum (c - mean)^2 / (mean (1 - mean/N)) would be chi-square with
    // 11 df; a p-value below 1e-3 means the keys are over-dispersed. A correct filter
    // fails this with probability 1e-3 (fixed keys make it deterministic).
    const N = pieces.length
    const dispersionLogP = (counts: number[]) => {
      const mean = counts.reduce((a, b) => a + b, 0) / counts.length
      const x = counts.reduce((a, c) => a + (c - mean) ** 2, 0) / (mean * (1 - mean / N))
      return gammaUpperTailLog((counts.length - 1) / 2, x / 2) / Math.LN10
    }
    const without: number[] = []
    const withFilter: number[] = []
    for (let k = 0; k < 12; k++) {
      const key = generateKey({ scheme: 'kgw' }, { secret: Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + k * 101 + 7) & 255) })
      const common = await findCommonTuples([corpus], [key], { fraction: DEFAULT_COMMON_FRACTION }, {}, { tokenizerBackend: 'gpt-tokenizer' })
      const plain = createScorer([key], { tokenizerBackend: 'gpt-tokenizer' })
      const filtered = createScorer([key], { tokenizerBackend: 'gpt-tokenizer', exclude: common.exclude })
      let a = 0
      let b = 0
      pieces.forEach((text, i) => {
        if (plain.score(text, { file: corpus }, i).pValue < 0.01) a++
        if (filtered.score(text, { file: corpus }, i).pValue < 0.01) b++
      })
      without.push(a)
      withFilter.push(b)
    }
    expect(dispersionLogP(withFilter)).toBeGreaterThan(-3)
    // The problem is real: without the filter the keys are over-dispersed.
    expect(dispersionLogP(without)).toBeLessThan(-3)
    // And no key flags more than the binomial upper bound allows (Bonferroni over 12 keys).
    expect(Math.max(...withFilter)).toBeLessThanOrEqual(binomialBounds(N, 0.01, 5e-4 / 12)[1])
  }, 300_000)
})
