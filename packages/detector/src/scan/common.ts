import { createHash } from 'node:crypto'
import { createWatermarker, scoreTokens, type WatermarkKey } from '@tracemark/watermark'
import { keyTokenizers, tokenizerId, type ScorerOptions } from './document.js'
import { readSources, type SourceFormat } from './sources/index.js'
import type { S3Lister } from './sources/s3.js'

/**
 * Common tuples: the (context, token) tuples that recur across a corpus.
 *
 * Why: a document's p-value is exact over random keys, but an investigator holds
 * ONE key, and a tuple shared by many human documents (a frequent token pair
 * under kgw's SelfHash, a frequent bigram under h = 1) has the same green bit in
 * all of them, so one key's false-positive rate on human text swings away from
 * nominal. Over 12 keys on 5,082 held-out human pieces, the dispersion of the
 * per-key false-positive counts at alpha 0.01 (1 for independent trials) was 4.9
 * for kgw SelfHash and 7.0 for kgw h = 1; dropping the tuples found in >= 0.4 %
 * of the documents brought both to 0.4-0.6, and 39 of 40 watermarked answers were
 * still detected at 1e-6, as without the filter.
 *
 * Not for unigram: its tuples are single tokens, so the tokens the watermark
 * favours are exactly the common ones, and the filter erases the watermark (0 of
 * 40 detected). Unigram's one-key false-positive rate stays unreliable (one key
 * flagged 262 of 5,082 human pieces at 0.01): scans warn.
 *
 * Documents are counted once per distinct text (a leaked answer scraped many
 * times must not make its own tuples "common"), and a tuple must be found in at
 * least 10 distinct documents, so small corpora keep nearly everything.
 *
 * Exactness: which tuples are dropped depends on the corpus and on the
 * context structure (for SelfHash, the keyed anchor ranks), never on the green
 * bits or scores, which come from an independent PRF lane; so for human text the
 * remaining scores keep their exact null law. A watermarked document in the sample
 * can only add its own, favoured tuples to the dropped set: the conservative side.
 */
export interface CommonTupleOptions {
  /** A tuple is common when found in at least this fraction of the sampled documents. */
  fraction: number
  /** Documents sampled from the start of the corpus (default 20 000). */
  sampleDocuments?: number
  /** Tokens sampled at most (default 4 000 000; bounds memory). */
  sampleTokens?: number
}

export interface CommonTuples {
  /** Per key, in key order: the tuples to drop. */
  exclude: number[][]
  sampledDocuments: number
  /** A tuple found in at least this many distinct sampled documents is dropped (never fewer than 10). */
  minDocuments: number
}

/** kgw keys get the filter by default; gumbel and synthid did not need it (dispersion ~1), unigram cannot use it. */
export const DEFAULT_COMMON_FRACTION = 0.004

export function needsCommonTuples(keys: WatermarkKey[]): boolean {
  return keys.some((k) => k.spec.scheme === 'kgw')
}

/** Reads a sample from the start of the inputs and finds each key's common tuples. */
export async function findCommonTuples(
  inputs: string[],
  keys: WatermarkKey[],
  o: CommonTupleOptions,
  source: { format?: SourceFormat; field?: string; skip?: ReadonlySet<string>; list?: S3Lister },
  scorer: ScorerOptions = {},
): Promise<CommonTuples> {
  if (!(o.fraction > 0 && o.fraction < 1)) throw new RangeError(`the common-tuple fraction must be in (0, 1), got ${o.fraction}`)
  const maxDocs = o.sampleDocuments ?? 20_000
  const maxTokens = o.sampleTokens ?? 4_000_000
  // The scorer's own normalization and tokenization, so these are its tuples exactly.
  const { tokenizers, encode } = keyTokenizers(keys, scorer)
  const tokenized = new Map<string, Uint32Array[]>([...tokenizers.keys()].map((n) => [n, []]))
  let docs = 0
  let tokens = 0
  const distinct = new Set<string>()
  for await (const rec of readSources(inputs, source)) {
    if (rec.error !== undefined) continue
    const ids = encode(rec.text)
    // Distinct by token ids: what the scorer sees, normalization included.
    const first = ids.values().next().value!
    const digest = createHash('sha256').update(first).digest('base64')
    if (distinct.has(digest)) continue
    distinct.add(digest)
    for (const [n, x] of ids) tokenized.get(n)!.push(x)
    tokens += first.length
    if (++docs >= maxDocs || tokens >= maxTokens) break
  }
  const minDocuments = Math.max(10, Math.ceil(o.fraction * docs))
  const exclude = keys.map((key) => {
    const wm = createWatermarker(key)
    const df = new Map<number, number>()
    for (const ids of tokenized.get(tokenizerId(key.spec))!) {
      const s = scoreTokens(wm, ids)
      const once = new Set<number>()
      for (let i = 0; i < s.count; i++) once.add(s.tuple[i])
      for (const t of once) df.set(t, (df.get(t) ?? 0) + 1)
    }
    const common: number[] = []
    for (const [t, n] of df) if (n >= minDocuments) common.push(t)
    return common.sort((a, b) => a - b)
  })
  return { exclude, sampledDocuments: docs, minDocuments }
}

/**
 * The filter a scan uses: `fraction` undefined means automatic (on, at
 * DEFAULT_COMMON_FRACTION, when a key is kgw), false or 0 off. Unigram keys,
 * which the filter cannot help, get their warning here, where every scan path
 * passes before scoring.
 * Standard input cannot be read twice: an automatic filter is then skipped with
 * a warning, an explicit one is an error.
 */
export async function scanCommonTuples(
  o: { inputs: string[]; format?: SourceFormat; field?: string; skip?: ReadonlySet<string>; list?: S3Lister; scorer?: ScorerOptions; commonTuples?: number | false },
  keys: WatermarkKey[],
  warn: (message: string) => void,
): Promise<{ exclude: number[][]; summary: { fraction: number; sampledDocuments: number; minDocuments: number; excluded: number[] } } | null> {
  if (keys.some((k) => k.spec.scheme === 'unigram')) {
    warn('unigram keys: one key\'s false-positive rate on a human corpus can be far above alpha (a fixed green list; measured up to 5x at 0.01), so treat corpus-level results with care; gumbel keys do not have this problem')
  }
  const fraction = o.commonTuples === undefined ? (needsCommonTuples(keys) ? DEFAULT_COMMON_FRACTION : 0) : o.commonTuples || 0
  if (fraction === 0) return null
  if (o.inputs.includes('-')) {
    if (o.commonTuples !== undefined) throw new Error('--common-tuples samples the inputs before the scan: standard input cannot be one of them')
    warn('common-tuple filter off: standard input cannot be sampled before the scan (green-list keys are then exposed to corpus-wide tuples)')
    return null
  }
  const c = await findCommonTuples(o.inputs, keys, { fraction }, { format: o.format, field: o.field, skip: o.skip, list: o.list }, o.scorer)
  return { exclude: c.exclude, summary: { fraction, sampledDocuments: c.sampledDocuments, minDocuments: c.minDocuments, excluded: c.exclude.map((e) => e.length) } }
}
