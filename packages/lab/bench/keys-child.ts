/**
 * `pnpm bench keys`, in a child process on bundled code (see bundled() in scan.ts):
 * the scorer with 1, 4 and 16 keys next to normalizing and tokenizing alone
 * (tokenized once per tokenizer, scored once per key; the pool closed after each
 * pass of 200 documents, as a scan block closes it), then scoring pre-tokenized ids
 * per scheme. In-process here, so it runs in a minute.
 *
 * argv[2]: the JSONL corpus.
 */
import { DEFAULT_SCHEME, generateKey } from '@tracemark/watermark'
import { createScorer, keyTokenizers } from '../../detector/src/scan/document.js'
import { readSources } from '../../detector/src/scan/sources/index.js'
import { bench, table } from './harness.js'
import { benchIdScoring } from './id-scoring.js'

const texts: string[] = []
for await (const r of readSources([process.argv[2]])) {
  if (r.text !== undefined) texts.push(r.text)
  if (texts.length >= 200) break
}
const keySets = [1, 4, 16].map((n) => Array.from({ length: n }, () => generateKey({ scheme: DEFAULT_SCHEME })))
const { encode } = keyTokenizers(keySets[0])
const scorers = keySets.map((ks) => createScorer(ks))
table(
  `several keys in one pass (${texts.length} documents of ~2 KB; scorer = normalize + tokenize + score every key)`,
  bench(
    [
      { name: 'normalize + tokenize', run: () => texts.map((t) => encode(t)) },
      ...scorers.map((s, i) => ({
        name: `scorer, ${keySets[i].length} key${i ? 's' : ''}`,
        run: () => {
          const r = texts.map((t, j) => s.score(t, { file: 'x' }, j).pValue)
          s.pooled()
          return r
        },
      })),
    ],
    { rounds: 5, roundMs: 300 },
  ),
  'normalize + tokenize',
)

// Scoring ids alone, per scheme.
benchIdScoring(texts.map((t) => encode(t).get('cl100k_base')!))
