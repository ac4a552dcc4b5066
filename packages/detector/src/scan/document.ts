import { createWatermarker, gumbelNonces, scoreTokens, type Watermarker, type WatermarkKey } from '@tracemark/watermark'
import { attributeTokens } from '../attribution.js'
import { addTuple, bestStream } from '../nonces.js'
import { toPValue } from '../stats/tails.js'
import { normalizeText, type NormalizeOptions } from '../text/normalize.js'
import { getTokenizer, type Tokenizer, type TokenizerBackend, type TokenizerName } from '../text/tokenizer.js'
import { bestSpan } from './span.js'
import type { DocumentResult, Location } from './types.js'

export interface ScorerOptions {
  tokenizerBackend?: TokenizerBackend
  normalize?: NormalizeOptions | false
  /** Registry for fingerprint attribution. */
  accounts?: ArrayLike<number>
  /** Level for naming an account in a document (default 1e-6). */
  attributionAlpha?: number
  /** Unique tuples per pooled shard before it is closed (bounds memory). */
  shardTuples?: number
  /** Per key (in key order): tuples never scored, the corpus's common tuples (see common.ts). */
  exclude?: number[][]
}

/** Evidence pooled over many documents for one key: unique tuples and their score sum. */
export interface PooledPart {
  keyIndex: number
  n: number
  sum: number
  /** Gumbel keys with nonces: the sum under every nonce stream (`sum` is stream 0's). */
  sums?: number[]
}

export interface Scorer {
  score(text: string, where: Location, index: number): DocumentResult
  /** Closes the open shards and returns (and forgets) the pooled parts since the last call. */
  pooled(): PooledPart[]
}

/**
 * Scores documents against several keys: each text is normalized and tokenized
 * once per tokenizer, then scored with every key. A document's p-value is the
 * smallest over keys times the number of keys (Bonferroni: valid whatever the
 * dependence between keys). Alongside, each key accumulates its unique tuples
 * over documents for the corpus-level pooled test.
 */
/**
 * How the scan turns a text into token ids: normalized once, then tokenized once
 * per tokenizer the keys use. Returns the tokenizers and the function; everything
 * that must see the scorer's exact tuples (the common-tuple prepass) uses it.
 */
export function keyTokenizers(keys: WatermarkKey[], options: Pick<ScorerOptions, 'tokenizerBackend' | 'normalize'> = {}) {
  const tokenizers = new Map<string, Tokenizer>()
  for (const k of keys) {
    if (!tokenizers.has(k.spec.tokenizer)) {
      tokenizers.set(k.spec.tokenizer, getTokenizer(k.spec.tokenizer as TokenizerName, options.tokenizerBackend))
    }
  }
  const encode = (text: string): Map<string, Uint32Array> => {
    const normalized = options.normalize === false ? text : normalizeText(text, options.normalize)
    const ids = new Map<string, Uint32Array>()
    for (const [name, tok] of tokenizers) ids.set(name, tok.encode(normalized))
    return ids
  }
  return { tokenizers, encode }
}

export function createScorer(keys: WatermarkKey[], options: ScorerOptions = {}): Scorer {
  if (keys.length === 0) throw new Error('at least one key is needed')
  const wms: Watermarker[] = keys.map((k) => createWatermarker(k))
  const { tokenizers, encode } = keyTokenizers(keys, options)
  const exclude = keys.map((_, k) => new Set(options.exclude?.[k] ?? []))
  const logK = Math.log(keys.length)
  const cap = options.shardTuples ?? 4_000_000
  const streams = keys.map((k) => gumbelNonces(k.spec))
  const newShard = (i: number) => ({ seen: new Set<number>(), sums: new Float64Array(streams[i]) })
  const open = keys.map((_, i) => newShard(i))
  const closed: PooledPart[] = []
  const closeShard = (i: number) => {
    const o = open[i]
    if (o.seen.size > 0) closed.push({ keyIndex: i, n: o.seen.size, sum: o.sums[0], ...(o.sums.length > 1 ? { sums: Array.from(o.sums) } : {}) })
    open[i] = newShard(i)
  }

  return {
    score(text, where, index) {
      const ids = encode(text)
      let best = { logP: 0, key: 0, n: 0, tokens: 0, spanLogP: 0 as number, span: null as ReturnType<typeof bestSpan>, positions: null as Int32Array | null }
      for (let k = 0; k < wms.length; k++) {
        const wm = wms[k]
        const toks = ids.get(wm.spec.tokenizer)!
        const s = scoreTokens(wm, toks)
        // Per-document dedup (first occurrence counts) and the corpus pool, one sum
        // per nonce stream (gumbel keys with nonces; one otherwise).
        const N = streams[k]
        const seen = new Set<number>()
        const counted: number[] = []
        const sums = new Float64Array(N)
        const pool = open[k]
        const skip = exclude[k]
        for (let i = 0; i < s.count; i++) {
          const t = s.tuple[i]
          if (seen.has(t) || skip.has(t)) continue
          seen.add(t)
          counted.push(i)
          addTuple(s, i, sums)
          if (!pool.seen.has(t)) {
            pool.seen.add(t)
            addTuple(s, i, pool.sums)
          }
        }
        if (pool.seen.size >= cap) closeShard(k)
        const stat = bestStream(wm.spec, seen.size, sums)
        // The span search runs on the best stream's scores; choosing the stream costs ln N more (Bonferroni).
        const first = new Float64Array(s.count).fill(NaN)
        for (const i of counted) first[i] = s.streamScore ? s.streamScore(i, stat.nonce) : s.score[i]
        const found = bestSpan(wm.spec, first)
        const span = found && N > 1 ? { ...found, logP: found.logP + Math.log(N) } : found
        if (k === 0 || stat.logP < best.logP) {
          best = { logP: stat.logP, key: k, n: seen.size, tokens: toks.length, spanLogP: span?.logP ?? 0, span, positions: s.position }
        }
      }
      const p = toPValue(Math.min(0, best.logP + logK))
      const wm = wms[best.key]
      let span: DocumentResult['span'] = null
      if (best.span && best.positions) {
        const sp = toPValue(Math.min(0, best.span.logP + logK))
        const tok = tokenizers.get(wm.spec.tokenizer)!
        const toks = ids.get(wm.spec.tokenizer)!
        const startTok = best.positions[best.span.start]
        const endTok = best.positions[best.span.end - 1] + 1
        // Character offsets into the normalized text, by decoding the token prefix.
        const charStart = tok.decode(toks.subarray(0, startTok)).length
        const charEnd = charStart + tok.decode(toks.subarray(startTok, endTok)).length
        span = { start: startTok, end: endTok, charStart, charEnd, pValue: sp.pValue, log10PValue: sp.log10PValue }
      }
      let attribution: DocumentResult['attribution'] = null
      if (wm.spec.fingerprint) {
        const a = attributeTokens(wm, ids.get(wm.spec.tokenizer)!, { accounts: options.accounts, alpha: options.attributionAlpha ?? 1e-6 })
        if (a) attribution = { account: a.account, votes: a.votes, pValue: a.pValue, log10PValue: a.log10PValue, accounts: a.accounts.map((x) => x.account) }
      }
      return {
        type: 'document',
        ...where,
        index,
        tokens: best.tokens,
        scored: best.n,
        keyId: wm.keyId,
        pValue: p.pValue,
        log10PValue: p.log10PValue,
        detected: false,
        span,
        attribution,
      }
    },
    pooled() {
      for (let k = 0; k < keys.length; k++) closeShard(k)
      return closed.splice(0)
    },
  }
}
