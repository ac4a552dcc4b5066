import {
  createWatermarker,
  contextWidth,
  gumbelNonces,
  isRaceFingerprint,
  scoreTokens,
  type FingerprintVotes,
  type TokenScores,
  type Watermarker,
  type WatermarkKey,
} from '@tracemark/watermark'
import { attributeTokens, attributeVotes } from '../attribution.js'
import { checkDecodeBelow, scanRaceTest } from './race-test.js'
import { addTuple, bestStream } from '../nonces.js'
import { toPValue } from '../stats/tails.js'
import { normalizeText, type NormalizeOptions } from '../text/normalize.js'
import { tokenizerForKeyFrom } from '../text/key-tokenizer.js'
import type { Tokenizer, TokenizerBackend } from '../text/tokenizer.js'
import { decodedLength } from '../text/decoded-length.js'
import { bestSpan } from './span.js'
import { createPendingPool, poolPending, poolPendingGroup, type PendingPool } from './pending-pool.js'
import { createTupleSet } from './tuple-set.js'
import { markFirstOccurrences } from './first-occurrences.js'
import type { DocumentResult, Location } from './types.js'
import { DOCUMENT_SCRATCH, fitScratch } from '../scratch.js'

export interface ScorerOptions {
  tokenizerBackend?: TokenizerBackend
  /**
   * Paths of the tokenizer.json files of keys made for one (workers load them
   * themselves: paths cross thread and machine boundaries, functions do not).
   * Each such key takes the file whose SHA-256 it records.
   */
  tokenizerFiles?: string[]
  normalize?: NormalizeOptions | false
  /** Registry for fingerprint attribution. */
  accounts?: ArrayLike<number>
  /** Level for naming an account in a document (default 1e-6). */
  attributionAlpha?: number
  /**
   * Race keys with the ordered draw: decode every document from all 256 scores per
   * tuple, as `detect` does, instead of quick votes past the per-token gate
   * (scan/race-test.ts): more power on short low-entropy texts, several times the
   * cost per document (docs/fingerprint/race.md, docs/scale.md).
   */
  fullVotes?: boolean
  /**
   * Race keys on quick votes: decode a document's account only when its per-token
   * p-value is below this (default 0.5, `QUICK_DECODE_BELOW` in race-test.ts; 1 decodes every
   * document). An unmarked document is decoded with this probability, so a lower
   * gate scans an unmarked corpus faster and finds fewer short low-entropy
   * watermarked texts (the measured trade-off: docs/scale.md). Every record stays
   * an exact p-value whatever the gate.
   */
  decodeBelow?: number
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
  /** Scores a document already normalized and tokenized (ids per tokenizer name, as `keyTokenizers().encode` gives). */
  scoreIds(ids: Map<string, Uint32Array>, where: Location, index: number): DocumentResult
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
export function keyTokenizers(keys: WatermarkKey[], options: Pick<ScorerOptions, 'tokenizerBackend' | 'tokenizerFiles' | 'normalize'> = {}) {
  const tokenizers = new Map<string, Tokenizer>()
  for (const k of keys) {
    const id = tokenizerId(k.spec)
    if (!tokenizers.has(id)) tokenizers.set(id, tokenizerForKeyFrom(k.spec, options.tokenizerFiles, options.tokenizerBackend))
  }
  const encode = (text: string): Map<string, Uint32Array> => {
    const normalized = options.normalize === false ? text : normalizeText(text, options.normalize)
    const ids = new Map<string, Uint32Array>()
    for (const [name, tok] of tokenizers) ids.set(name, tok.encode(normalized))
    return ids
  }
  return { tokenizers, encode }
}

/** What identifies a key's vocabulary: the tokenizer.json hash, or the built-in name. */
export function tokenizerId(spec: WatermarkKey['spec']): string {
  return spec.tokenizerSha256 ?? spec.tokenizer
}

/** First occurrences a key holds back before pooling them early (16 MiB of them). */
const PENDING_LIMIT = 1 << 20
/** Tuples a document's dedup set takes (1 MiB of slots); a longer document is deduplicated by partition. */
const SET_DEDUP_MAX = 1 << 16

export function createScorer(keys: WatermarkKey[], options: ScorerOptions = {}): Scorer {
  if (keys.length === 0) throw new Error('at least one key is needed')
  checkDecodeBelow(options.decodeBelow)
  const wms: Watermarker[] = keys.map((k) => createWatermarker(k))
  const { tokenizers, encode } = keyTokenizers(keys, options)
  const exclude = keys.map((_, k) => {
    const set = createTupleSet(options.exclude?.[k]?.length ?? 0)
    for (const t of options.exclude?.[k] ?? []) set.add(t)
    return set
  })
  const logK = Math.log(keys.length)
  const cap = options.shardTuples ?? 4_000_000
  // One sum per nonce stream (gumbel keys with nonces; one otherwise).
  const streams = keys.map((k) => gumbelNonces(k.spec))
  const open = keys.map((_, i) => ({ seen: createTupleSet(1 << 16), sums: new Float64Array(streams[i]) }))
  // Closed parts with the document after which each closed (Infinity: at the block's
  // end), so that parts pooled late come out in the order of the per-token pool.
  const closed: Array<{ part: PooledPart; after: number }> = []
  let documents = 0
  const closeShard = (i: number, after = Infinity) => {
    const o = open[i]
    if (o.seen.size > 0) closed.push({ after, part: { keyIndex: i, n: o.seen.size, sum: o.sums[0], ...(o.sums.length > 1 ? { sums: Array.from(o.sums) } : {}) } })
    o.seen.clear()
    o.sums.fill(0)
  }
  // Keys with one stream defer the pool to the block's end (see pending-pool.ts).
  // A block that holds `cap` tuples closes shards inside anyway: pool it as it comes.
  const pendingLimit = Math.min(PENDING_LIMIT, cap)
  const pending: Array<PendingPool | null> = streams.map((N) => (N === 1 ? createPendingPool() : null))
  // Key i's pool, as pending-pool.ts asks for it: the open shard, how to close it, and
  // where a part pooled at once goes.
  const poolOf = (i: number) => ({
    b: pending[i]!,
    open: open[i],
    closeShard: (after: number) => closeShard(i, after),
    emit: (n: number, sum: number) => closed.push({ after: Infinity, part: { keyIndex: i, n, sum } }),
  })
  const flush = (i: number, atBlockEnd: boolean) => {
    if (!pending[i]) return
    const p = poolOf(i)
    poolPending(p.b, p.open, cap, p.closeShard, p.emit, atBlockEnd)
  }
  // One per-document set for every document and key, and marks for long documents.
  const seen = createTupleSet()
  let docFirsts = new Uint8Array(0)
  // Keys seeded by their whole context window (h > 0, not SelfHash) with one stream and
  // no excluded tuples, sharing a tokenizer and a width: each one's tuple is a keyed
  // function of the (window, token) pair, so a repeated pair repeats under all of them.
  // The group's first key deduplicates for the rest, in each document and in the
  // block's pool: with a dozen keys that was ~40 % of the scoring. Counting the
  // positions another key's tuples mark as first is exact for this key's null too (the
  // choice does not depend on this key); the counts can differ from this key's own
  // only where two pairs collide in a 52-bit tuple (~1e-11 per document).
  const groupOf = keys.map((k, i) => {
    const sp = k.spec
    const whole = contextWidth(sp) > 0 && !(sp.scheme === 'kgw' && sp.seeding === 'self')
    return whole && streams[i] === 1 && exclude[i].size === 0 ? `${tokenizerId(sp)}/${contextWidth(sp)}` : null
  })
  const leaderOf = groupOf.map((g, i) => (g === null ? i : groupOf.indexOf(g)))
  // Each group in key order (a key alone is a group of one), led by its first key.
  const groups = leaderOf.flatMap((l, k) => (l === k ? [leaderOf.flatMap((m, i) => (m === k ? [i] : []))] : []))
  // A leading key's first-occurrence marks in the current document, and their number.
  const marks: Array<Uint8Array | null> = keys.map((_, k) => (groups.some((g) => g[0] === k && g.length > 1) ? new Uint8Array(1024) : null))
  const marked = new Int32Array(keys.length)
  // Per-document buffers, reused (allocating them per document cost more than
  // scoring a short one): each key's scores, and two score arrays for the span
  // search, one holding the best key's so far while the next key fills the other.
  const scratch: Array<TokenScores | undefined> = keys.map(() => undefined)
  const counted = [new Float64Array(1024), new Float64Array(1024)]
  const docSums = streams.map((N) => new Float64Array(N))

  return {
    score(text, where, index) {
      return this.scoreIds(encode(text), where, index)
    },
    scoreIds(ids, where, index) {
      documents++
      // Per key: a race key's votes (null: its account was not decoded), undefined for other keys.
      const raceVotes: Array<FingerprintVotes | null | undefined> = []
      let best = { logP: 0, key: 0, n: 0, tokens: 0, first: null as Float64Array | null, count: 0, positions: null as Int32Array | null, streams: 1 }
      for (let k = 0; k < wms.length; k++) {
        const wm = wms[k]
        const toks = ids.get(tokenizerId(wm.spec))!
        const s = scoreTokens(wm, toks, scratch[k])
        scratch[k] = s.score.length <= DOCUMENT_SCRATCH ? s : undefined
        // Per-document dedup (first occurrence counts) and the corpus pool, one sum
        // per nonce stream (gumbel keys with nonces; one otherwise).
        const N = streams[k]
        // A long document's first occurrences come from one partitioned pass: a set past
        // the cache misses on every tuple, and a 13 M-token one took 400 MB while it grew.
        const partitioned = s.count > SET_DEDUP_MAX && leaderOf[k] === k
        if (partitioned) {
          docFirsts = fitScratch(docFirsts, s.count, DOCUMENT_SCRATCH, (m) => new Uint8Array(m))
          markFirstOccurrences(s.tuple, s.count, docFirsts)
        } else seen.clear()
        const firsts = partitioned ? docFirsts : null
        // The buffer not holding the best key's scores so far.
        const slot = best.first === counted[0] ? 1 : 0
        const first = (counted[slot] = fitScratch(counted[slot], s.count, DOCUMENT_SCRATCH, (m) => new Float64Array(m)))
        const sums = docSums[k].fill(0)
        const pool = open[k]
        const skip = exclude[k]
        const later = pending[k]
        const { tuple, score, count } = s
        const skipping = skip.size > 0
        const leader = leaderOf[k]
        let unique: number
        if (later) {
          // One stream, pool deferred (every key but one with nonces): the same sums in
          // the same order as the general loop below, written straight to the pool's
          // arrays. A follower reads its leader's marks (same tokenizer and width, so the
          // same positions); a leader with followers leaves its own.
          const follow = leader !== k ? marks[leader]! : null
          let m = marks[k]
          if (m) m = marks[k] = fitScratch(m, count, DOCUMENT_SCRATCH, (c) => new Uint8Array(c))
          later.reserve(count)
          const lt = later.tuples
          const ls = later.scores
          let at = later.length
          let sum = 0
          for (let i = 0; i < count; i++) {
            const t = tuple[i]
            const isFirst = follow ? follow[i] === 1 : !(skipping && skip.has(t)) && (firsts ? firsts[i] === 1 : seen.add(t))
            if (m) m[i] = isFirst ? 1 : 0
            if (!isFirst) {
              first[i] = NaN
              continue
            }
            const v = score[i]
            first[i] = v
            sum += v
            lt[at] = t
            ls[at++] = v
          }
          unique = follow ? marked[leader] : (marked[k] = at - later.length)
          later.length = at
          sums[0] += sum
        } else {
          unique = 0
          for (let i = 0; i < count; i++) {
            const t = tuple[i]
            if ((skipping && skip.has(t)) || !(firsts ? firsts[i] === 1 : seen.add(t))) {
              first[i] = NaN
              continue
            }
            unique++
            first[i] = score[i]
            addTuple(s, i, sums)
            if (pool.seen.add(t)) addTuple(s, i, pool.sums)
          }
        }
        if (later) {
          later.endDocument(documents)
          if (later.length >= pendingLimit) flush(k, false)
        } else if (pool.seen.size >= cap) closeShard(k, documents)
        let stat = bestStream(wm.spec, unique, sums)
        const f = wm.spec.fingerprint
        // A race key's zero-bit test also asks the best (decoded or registered) account (race keys have one stream).
        if (f && isRaceFingerprint(f)) {
          // Quick votes under the ordered draw: 1 mixer call per tuple, not 256 (exact p-values, a little less power).
          const race = scanRaceTest(wm, f, stat, toks, options)
          raceVotes[k] = race.votes
          stat = { ...stat, ...race.stat }
        }
        // The span search runs on the best stream's scores.
        if (stat.nonce !== 0 && s.streamScore) for (let i = 0; i < s.count; i++) if (!Number.isNaN(first[i])) first[i] = s.streamScore(i, stat.nonce)
        if (k === 0 || stat.logP < best.logP) {
          best = { logP: stat.logP, key: k, n: unique, tokens: toks.length, first, count: s.count, positions: s.position, streams: N }
        }
      }
      // The span of the best key only: the one the record reports.
      // Choosing the best of N nonce streams costs ln N more (Bonferroni).
      const found = best.first ? bestSpan(wms[best.key].spec, best.first, best.count) : null
      const bestSpanFound = found && best.streams > 1 ? { ...found, logP: found.logP + Math.log(best.streams) } : found
      const p = toPValue(Math.min(0, best.logP + logK))
      const wm = wms[best.key]
      let span: DocumentResult['span'] = null
      if (bestSpanFound && best.positions) {
        const sp = toPValue(Math.min(0, bestSpanFound.logP + logK))
        const tok = tokenizers.get(tokenizerId(wm.spec))!
        const toks = ids.get(tokenizerId(wm.spec))!
        const startTok = best.positions[bestSpanFound.start]
        const endTok = best.positions[bestSpanFound.end - 1] + 1
        // Character offsets into the normalized text: the decoded token prefix's length.
        const charStart = decodedLength(tok, toks.subarray(0, startTok))
        const charEnd = charStart + decodedLength(tok, toks.subarray(startTok, endTok))
        span = { start: startTok, end: endTok, charStart, charEnd, pValue: sp.pValue, log10PValue: sp.log10PValue }
      }
      let attribution: DocumentResult['attribution'] = null
      if (wm.spec.fingerprint) {
        const attributeOptions = { accounts: options.accounts, alpha: options.attributionAlpha ?? 1e-6 }
        // A race key's votes (and their decoding) were made for its zero-bit test already.
        const votes = raceVotes[best.key]
        // A race key's zero-bit test already tested its best accounts: a document it
        // does not find at the naming level gets no account. Attribution's trimmed
        // test of 16 candidates was a fifth of a race key's scoring, nearly all of it
        // on unmarked documents past the gate, and it named no account of an
        // undetected document in 1,080 trials (docs/scale.md).
        const a =
          votes === undefined
            ? attributeTokens(wm, ids.get(tokenizerId(wm.spec))!, attributeOptions)
            : votes !== null && best.logP + logK < Math.log(attributeOptions.alpha)
              ? attributeVotes(wm.spec.fingerprint, votes, attributeOptions)
              : null
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
      for (const group of groups) {
        if (group.length > 1) poolPendingGroup(group.map(poolOf), cap)
        else flush(group[0], true)
        for (const i of group) closeShard(i)
      }
      // Stable: by document, then key (the per-token pool's order).
      return closed
        .splice(0)
        .sort((a, b) => (a.after === b.after ? a.part.keyIndex - b.part.keyIndex : a.after < b.after ? -1 : 1))
        .map((c) => c.part)
    },
  }
}
