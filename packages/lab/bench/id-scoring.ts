import { createWatermarker, generateKey, scoreTokens, type SpecInput } from '@tracemark/watermark'
import { createScorer } from '../../detector/src/scan/document.js'
import { bench, type Result } from './harness.js'

/**
 * Every scheme as a scan meets it, plus the costly gumbel keys: 4096 nonce streams,
 * and the race fingerprint (keygen's default), whose whole-document cost includes
 * its account test (quick votes and the list decoding of the account).
 */
const SPECS: Array<[string, SpecInput]> = [
  ['kgw-self', { scheme: 'kgw' }],
  ['kgw-left', { scheme: 'kgw', seeding: 'left' }],
  ['gumbel', { scheme: 'gumbel' }],
  ['gumbel, race fp', { scheme: 'gumbel', fingerprint: { bits: 32 } }],
  ['gumbel, race (old)', { scheme: 'gumbel', fingerprint: { embedding: 'race', bits: 32 } }],
  ['gumbel, 4096 nonces', { scheme: 'gumbel', nonces: 4096 }],
  ['synthid', { scheme: 'synthid' }],
  ['unigram', { scheme: 'unigram' }],
]

/**
 * Scoring pre-tokenized ids on one core, per scheme, in M tokens/s:
 * - scoreTokens: the per-token work (window hash, mixer, score, tuple identity);
 * - whole document: what a scan worker adds per document on top of tokenizing
 *   (per-document dedup, the block's pool, the exact test, the span search and
 *   its character offsets), with the pool closed every 512 documents as a scan
 *   block does.
 * Against the target of 8 M tokens/s per core for every scheme. Each rate
 * is given by the wall clock and by the process's CPU time: on a shared machine the
 * wall clock also counts the time spent waiting for a core (per core, CPU time is
 * the fair measure; it counts the garbage collector's threads too).
 */
export function benchIdScoring(ids: Uint32Array[], tokenizer = 'cl100k_base'): void {
  const total = ids.reduce((n, x) => n + x.length, 0)
  console.log(`\nscoring pre-tokenized ids (${ids.length} documents, ${total} tokens; one core; target 8 M tokens/s)`)
  for (const [name, spec] of SPECS) {
    const key = generateKey(spec)
    const wm = createWatermarker(key)
    const scorer = createScorer([key])
    // 4096 nonce streams cost ~1 s per 8 documents: a few suffice. A race key's cost
    // depends on which documents pass the gate and are decoded (about half of
    // unwatermarked ones): 64 of them, not a handful that may all fall on one side.
    const costly = spec.nonces !== undefined || spec.fingerprint !== undefined
    const few = spec.nonces !== undefined ? ids.slice(0, 8) : costly ? ids.slice(0, 64) : ids
    const n = few.reduce((a, x) => a + x.length, 0)
    let docs = 0
    const [a, b] = bench(
      [
        { name: 'scoreTokens', run: () => few.map((x) => scoreTokens(wm, x).count) },
        {
          name: 'whole document',
          run: () =>
            few.map((x, i) => {
              const r = scorer.scoreIds(new Map([[tokenizer, x]]), { file: 'x' }, i)
              if (++docs % 512 === 0) scorer.pooled()
              return r.pValue
            }),
        },
      ],
      { rounds: costly ? 3 : 5, roundMs: 200 },
    )
    const rate = (us: number) => `${(n / us).toPrecision(3)} M tokens/s`
    const both = (r: Result) => `${rate(r.medianUs).padStart(16)} (CPU time ${rate(r.medianCpuUs!).padStart(16)})`
    console.log(`  ${name.padEnd(20)} scoreTokens ${both(a)}   whole document ${both(b)}`)
    scorer.pooled()
  }
}
