/**
 * An interpolated modified Kneser–Ney n-gram language model over tokenizer ids
 * (Chen & Goodman 1998, "An empirical study of smoothing techniques for language
 * modeling", §3 and the interpolated variant of §4.1.6; counts adjusted as in KenLM).
 *
 * ## The estimate
 * For an n-gram order N and a context h of length n−1 (1 ≤ n ≤ N):
 *
 *     p_n(w | h) = (a(hw) − D_n(a(hw))) / Σ_v a(hv)  +  γ(h) · p_{n−1}(w | h′)
 *     γ(h)       = (D_n,1 N1(h•) + D_n,2 N2(h•) + D_n,3+ N3+(h•)) / Σ_v a(hv)
 *     p_0(w)     = 1 / V                         (uniform over the whole id space)
 *
 * where h′ drops the first token of h, D_n(c) is D_n,1 / D_n,2 / D_n,3+ for c = 1 / 2 / ≥3,
 * Nk(h•) is the number of distinct w with a(hw) = k (≥ k for 3+), and a() is the count
 * that order uses: the raw count for the highest order N and for n-grams that begin at a
 * document start; otherwise the continuation count N1+(•g) = number of distinct tokens
 * seen immediately before g. When the context h was never seen with a successor, level n
 * is skipped (p_n = p_{n−1}). Every token of the id space gets probability ≥ γ…γ/V > 0.
 *
 * Discounts are estimated per order from the count-of-counts n1..n4 of that order's
 * counts a(): Y = n1/(n1+2n2), D1 = 1−2Y·n2/n1, D2 = 2−3Y·n3/n2, D3+ = 3−4Y·n4/n3. When a
 * value is undefined or outside (0, k] (tiny corpora), the order falls back to
 * D = (0.5, 1, 1.5), as KenLM's --discount_fallback does.
 *
 * ## Documents
 * Each training document is `BOS t1 … tk EOT`: n-grams never cross a document boundary.
 * EOT is the tokenizer's `<|endoftext|>` (100257 for cl100k_base): a real token the model
 * predicts at the end of a document. BOS is an internal id equal to vocabSize (outside the
 * tokenizer's id space, never predicted) marking the start. A token sequence given for
 * training that contains EOT is split into documents there.
 *
 * ## Contexts at query time
 * Only the last order−1 tokens of a context matter, with two rules: an EOT among them
 * ends a document, so the effective context is what follows it, preceded by BOS; and a
 * context SHORTER than order−1 tokens is taken to be the beginning of a document (BOS
 * is prepended). The empty context is therefore "start of a document".
 *
 * ## Storage (a forward trie in CSR form)
 * Level d (1..N) holds every distinct d-gram of the training data, sorted
 * lexicographically: `tokens[i]` (its last token), `counts[i]` (its count a() at order d),
 * and for d < N `childStart[i] .. childStart[i+1]` = the range of level d+1 holding its
 * one-token extensions, sorted by token. A node of level d is thus both a d-gram and the
 * context of order d+1 whose successor list is its children. Training sorts the token
 * positions once (LSD radix sort on the first N tokens: all orders at once), then builds
 * the levels in one sweep. All arithmetic is integer until the final probabilities, then
 * float64 in a fixed order, so the same input gives a bit-identical model.
 *
 * Derived per node (deriveTables, stored in model files): γ of every context, and the full
 * interpolated p_d(w | h) of every n-gram node hw, as float32 (relative error < 6e-8).
 * With them, a query needs no arithmetic beyond a product of γ's:
 *
 *     p(w | ctx) = Π_{j>k} γ(ctx_j) · p_{k+1}(w | ctx_k)   for the deepest suffix ctx_k that w follows
 *
 * so logits() is one pass over the vocabulary (the scaled unigram distribution) plus one
 * overwrite pass per order over that context's successor list.
 *
 * ## Using it for generation
 * Pass the whole document so far (prompt + generated tokens) as the context, or at least
 * its last order−1 tokens; a shorter context means "document start". The model emits EOT
 * (`model.eot`) when a text ends.
 */
import { getTokenizer, type TokenizerName } from '@tracemark/detector'

/** One level of the trie: all distinct n-grams of one order. */
export interface NgramLevel {
  /** Last token of each n-gram (the successor, seen from its parent context). */
  readonly tokens: Uint32Array
  /** Count a() of each n-gram at this order (raw at the top order and at document starts, else continuation). */
  readonly counts: Uint32Array
  /** For every level but the last: children of node i are childStart[i] .. childStart[i+1] of the next level. */
  readonly childStart: Uint32Array | null
}

export interface NgramModelStats {
  /** Documents trained on (after splitting at EOT, empty ones dropped). */
  readonly documents: number
  /** Tokens trained on, BOS excluded, EOT included when endOfText. */
  readonly tokens: number
  /** Distinct n-grams per order 1..N (BOS unigram included). */
  readonly ngrams: readonly number[]
}

export interface NgramModel {
  readonly kind: 'ngram-mkn'
  readonly order: number
  /** Size of the id space predicted over (logits length): 100277 for cl100k_base. */
  readonly vocabSize: number
  /** Internal begin-of-document id (= vocabSize, never predicted). */
  readonly bos: number
  /** End-of-text id: predicted at the end of a document, and a document boundary in contexts. */
  readonly eot: number
  readonly tokenizer: string
  /** Discounts D1, D2, D3+ of order n at [(n−1)·3 + 0..2]. */
  readonly discounts: Float64Array
  /** levels[d−1] holds the d-grams. */
  readonly levels: readonly NgramLevel[]
  readonly stats: NgramModelStats
  /** Free-form description saved with the model (what it was trained on, …). */
  readonly meta?: Record<string, unknown>
  // ---- derived tables (computed after training, stored in model files) ----
  /** Per level d < N, per node: the interpolation weight γ of its successor distribution (1 if none). */
  readonly contextGamma: readonly Float32Array[]
  /**
   * Per level d, per node x = (h, w): the full interpolated p_d(w | h), down to the
   * uniform level. Level 1 (index 0): p_1 of the node's token (0 for BOS).
   */
  readonly nodeProb: readonly Float32Array[]
  /** ln of nodeProb, rounded separately from the exact value. */
  readonly nodeLogProb: readonly Float32Array[]
  // ---- recomputed on load (cheap) ----
  /** p_1(w): the interpolated unigram (continuation) distribution, w < vocabSize. */
  readonly unigramProb: Float64Array
  /** ln p_1(w). */
  readonly unigramLogProb: Float64Array
  /** Node of level 1 for each id 0..vocabSize (BOS included), −1 when unseen. */
  readonly unigramNode: Int32Array
}

/** The per-node tables finalizeModel derives from the counts (saved in model files). */
export type DerivedTables = Pick<NgramModel, 'contextGamma' | 'nodeProb' | 'nodeLogProb'>

export interface TrainOptions {
  /** n-gram order, 1..8 (the lab uses 3..5). Default 4. */
  order?: number
  /** Tokenizer for string documents and the id space. Default 'cl100k_base'. */
  tokenizer?: TokenizerName
  /** Append EOT to every document (the model learns where texts end). Default true. */
  endOfText?: boolean
  /** Fixed discounts [D1, D2, D3+] per order (index 0 = unigram) instead of the estimated ones. */
  discounts?: readonly (readonly [number, number, number])[]
  /** Stored with the model (saveModel writes it to the file header). */
  meta?: Record<string, unknown>
}

/** `<|endoftext|>` ids. */
const EOT_ID: Record<string, number> = { cl100k_base: 100_257, o200k_base: 199_999 }
/** Discounts used when the count-of-counts do not give valid ones. */
export const FALLBACK_DISCOUNTS: readonly [number, number, number] = [0.5, 1, 1.5]
export const DEFAULT_ORDER = 4
const MAX_ORDER = 8

/**
 * Train a model on documents: strings (tokenized with `tokenizer`) or token-id arrays
 * (e.g. text generated by another model, for a student). Deterministic.
 */
export function trainModel(docs: readonly (string | ArrayLike<number>)[], options: TrainOptions = {}): NgramModel {
  const order = options.order ?? DEFAULT_ORDER
  if (!Number.isInteger(order) || order < 1 || order > MAX_ORDER) throw new RangeError(`order must be an integer in 1..${MAX_ORDER}, got ${order}`)
  const tokenizerName = options.tokenizer ?? 'cl100k_base'
  const tok = getTokenizer(tokenizerName)
  const V = tok.vocabSize
  const eot = EOT_ID[tokenizerName]
  const BOS = V
  const endOfText = options.endOfText ?? true

  // ---- 1. the token stream: BOS t1 .. tk [EOT] per document ----
  const seqs: ArrayLike<number>[] = docs.map((d) => (typeof d === 'string' ? tok.encode(d) : d))
  let cap = 0
  for (const s of seqs) cap += s.length * 2 + 2 // worst case: every token an EOT
  const stream = new Uint32Array(cap)
  let T = 0
  let documents = 0
  let tokens = 0
  for (const s of seqs) {
    let open = false
    for (let i = 0; i < s.length; i++) {
      const t = s[i]
      if (!Number.isInteger(t) || t < 0 || t >= V) throw new RangeError(`token id ${t} outside 0..${V - 1}`)
      if (t === eot) {
        if (open) {
          stream[T++] = eot
          tokens++
          open = false
        }
        continue
      }
      if (!open) {
        stream[T++] = BOS
        documents++
        open = true
      }
      stream[T++] = t
      tokens++
    }
    if (open && endOfText) {
      stream[T++] = eot
      tokens++
    }
  }
  const text = stream.subarray(0, T)

  // ---- 2. L[p] = length of the longest n-gram (≤ order) starting at p inside its document ----
  const L = new Uint8Array(T)
  {
    let end = T - 1 // last index of the current document (scanning backwards)
    for (let p = T - 1; p >= 0; p--) {
      L[p] = Math.min(order, end - p + 1)
      if (text[p] === BOS) end = p - 1
    }
  }

  // ---- 3. sort positions by their first `order` tokens (LSD radix, shorter keys first) ----
  const sa = sortPositions(text, L, order, V)

  // ---- 4. one sweep builds all levels ----
  const capAt = new Uint32Array(order + 2)
  for (let p = 0; p < T; p++) capAt[L[p]]++
  for (let d = order - 1; d >= 1; d--) capAt[d] += capAt[d + 1] // capAt[d] = #positions with L ≥ d
  const tokAt: Uint32Array[] = [new Uint32Array(0)]
  const rawAt: Uint32Array[] = [new Uint32Array(0)]
  const parAt: Uint32Array[] = [new Uint32Array(0)]
  const repAt: Uint32Array[] = [new Uint32Array(0)]
  const nodeAt: Uint32Array[] = [new Uint32Array(0)]
  for (let d = 1; d <= order; d++) {
    tokAt.push(new Uint32Array(capAt[d]))
    rawAt.push(new Uint32Array(capAt[d]))
    parAt.push(new Uint32Array(capAt[d]))
    repAt.push(new Uint32Array(capAt[d]))
    nodeAt.push(d < order ? new Uint32Array(T) : new Uint32Array(0))
  }
  const num = new Uint32Array(order + 1)
  const cur = new Uint32Array(order + 1)
  for (let i = 0; i < T; i++) {
    const p = sa[i]
    const lp = L[p]
    let lcp = 0
    if (i > 0) {
      const q = sa[i - 1]
      const m = Math.min(lp, L[q])
      while (lcp < m && text[p + lcp] === text[q + lcp]) lcp++
    }
    for (let d = lcp + 1; d <= lp; d++) {
      const u = num[d]++
      tokAt[d][u] = text[p + d - 1]
      parAt[d][u] = d === 1 ? 0 : cur[d - 1]
      repAt[d][u] = p
      cur[d] = u
    }
    for (let d = 1; d <= lp; d++) {
      rawAt[d][cur[d]]++
      if (d < order) nodeAt[d][p] = cur[d]
    }
  }

  // ---- 5. counts a(): raw at the top order and for n-grams at a document start, else continuation ----
  const levels: NgramLevel[] = []
  for (let d = 1; d <= order; d++) {
    const n = num[d]
    const counts = new Uint32Array(n)
    if (d === order) {
      counts.set(rawAt[d].subarray(0, n))
    } else {
      // distinct left extensions: every (d+1)-gram x·g adds one to g
      const rep1 = repAt[d + 1]
      const at = nodeAt[d]
      for (let u = 0; u < num[d + 1]; u++) counts[at[rep1[u] + 1]]++
      const rep = repAt[d]
      const raw = rawAt[d]
      for (let g = 0; g < n; g++) if (text[rep[g]] === BOS) counts[g] = raw[g]
    }
    let childStart: Uint32Array | null = null
    if (d < order) {
      childStart = new Uint32Array(n + 1)
      const par = parAt[d + 1]
      for (let u = 0; u < num[d + 1]; u++) childStart[par[u] + 1]++
      for (let g = 0; g < n; g++) childStart[g + 1] += childStart[g]
    }
    levels.push({ tokens: tokAt[d].slice(0, n), counts, childStart })
  }

  // ---- 6. discounts per order ----
  const discounts = new Float64Array(order * 3)
  for (let d = 1; d <= order; d++) {
    const given = options.discounts?.[d - 1]
    const D = given ?? estimateDiscounts(levels[d - 1], d === 1 ? BOS : -1)
    discounts.set(D, (d - 1) * 3)
  }

  return finalizeModel({
    kind: 'ngram-mkn',
    order,
    vocabSize: V,
    bos: BOS,
    eot,
    tokenizer: tokenizerName,
    discounts,
    levels,
    stats: { documents, tokens, ngrams: levels.map((l) => l.tokens.length) },
    meta: options.meta ?? {},
  })
}

/** LSD radix sort of all positions by (up to) their first `order` tokens; a shorter n-gram sorts before its extensions. */
function sortPositions(text: Uint32Array, L: Uint8Array, order: number, V: number): Uint32Array {
  const T = text.length
  let a = new Uint32Array(T)
  let b = new Uint32Array(T)
  for (let i = 0; i < T; i++) a[i] = i
  const K = V + 2 // key 0 = "ended", token t -> t + 1 (BOS = V -> V + 1)
  const start = new Uint32Array(K + 1)
  for (let j = order - 1; j >= 0; j--) {
    start.fill(0)
    for (let i = 0; i < T; i++) {
      const p = a[i]
      start[(j < L[p] ? text[p + j] + 1 : 0) + 1]++
    }
    for (let k = 1; k <= K; k++) start[k] += start[k - 1]
    for (let i = 0; i < T; i++) {
      const p = a[i]
      b[start[j < L[p] ? text[p + j] + 1 : 0]++] = p
    }
    const t = a
    a = b
    b = t
  }
  return a
}

/** Modified-KN discounts from the count-of-counts of one level (Chen & Goodman eq. 26), with fallback. */
export function estimateDiscounts(level: NgramLevel, skipToken = -1): [number, number, number] {
  const n = [0, 0, 0, 0, 0]
  const { counts, tokens } = level
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]
    if (c <= 4 && tokens[i] !== skipToken) n[c]++
  }
  return discountsFromCountOfCounts(n[1], n[2], n[3], n[4])
}

/** D1, D2, D3+ from n1..n4; FALLBACK_DISCOUNTS when any is undefined or outside (0, k]. */
export function discountsFromCountOfCounts(n1: number, n2: number, n3: number, n4: number): [number, number, number] {
  const Y = n1 / (n1 + 2 * n2)
  const D: [number, number, number] = [1 - (2 * Y * n2) / n1, 2 - (3 * Y * n3) / n2, 3 - (4 * Y * n4) / n3]
  for (let k = 0; k < 3; k++) if (!(D[k] > 0 && D[k] <= k + 1)) return [...FALLBACK_DISCOUNTS]
  return D
}

/** The stored part of a model (what model files hold). */
export type StoredModel = Pick<NgramModel, 'kind' | 'order' | 'vocabSize' | 'bos' | 'eot' | 'tokenizer' | 'discounts' | 'levels' | 'stats' | 'meta'>

/** The interpolated unigram distribution p_1 over 0..V−1 (BOS excluded), and the token → level-1 node map. */
function unigramTables(m: StoredModel): { unigramProb: Float64Array; unigramLogProb: Float64Array; unigramNode: Int32Array; gamma0: number } {
  const { vocabSize: V, bos: BOS, discounts } = m
  const l1 = m.levels[0]
  const unigramNode = new Int32Array(V + 1).fill(-1)
  let s = 0
  let n1 = 0
  let n2 = 0
  let n3 = 0
  for (let i = 0; i < l1.tokens.length; i++) {
    const t = l1.tokens[i]
    unigramNode[t] = i
    if (t === BOS) continue
    const c = l1.counts[i]
    s += c
    if (c === 1) n1++
    else if (c === 2) n2++
    else n3++
  }
  const D1 = discounts[0]
  const D2 = discounts[1]
  const D3 = discounts[2]
  const gamma0 = s > 0 ? (D1 * n1 + D2 * n2 + D3 * n3) / s : 1
  const unigramProb = new Float64Array(V).fill(gamma0 / V)
  for (let i = 0; i < l1.tokens.length; i++) {
    const t = l1.tokens[i]
    if (t === BOS) continue
    const c = l1.counts[i]
    unigramProb[t] += (c - (c === 1 ? D1 : c === 2 ? D2 : D3)) / s
  }
  const unigramLogProb = new Float64Array(V)
  for (let w = 0; w < V; w++) unigramLogProb[w] = Math.log(unigramProb[w])
  return { unigramProb, unigramLogProb, unigramNode, gamma0 }
}

/**
 * Compute the per-node tables from the counts: γ of every context, and the full
 * interpolated probability of every n-gram node, level by level through suffix links
 * (the suffix t2..tn of node t1..tn is the child, with token tn, of the suffix of its
 * parent t1..tn−1; the children of a context are a subset of those of its suffix, both
 * sorted by token, so each search resumes where the previous one ended). Arithmetic in
 * float64, results rounded to float32 once.
 */
export function deriveTables(m: StoredModel): DerivedTables {
  const { order, levels, discounts } = m
  const { unigramProb, unigramNode } = unigramTables(m)
  const contextGamma: Float32Array[] = []
  const nodeProb: Float32Array[] = []
  const nodeLogProb: Float32Array[] = []
  const l1 = levels[0]
  let lowerProb = new Float64Array(l1.tokens.length) // exact p of the previous level's nodes
  for (let i = 0; i < l1.tokens.length; i++) {
    const t = l1.tokens[i]
    lowerProb[i] = t === m.bos ? 0 : unigramProb[t]
  }
  nodeProb.push(Float32Array.from(lowerProb))
  nodeLogProb.push(Float32Array.from(lowerProb, Math.log))
  let sufParent = new Uint32Array(0) // suffix links of the parent level's nodes
  for (let d = 1; d < order; d++) {
    const P = levels[d - 1]
    const C = levels[d]
    const cs = P.childStart!
    const nP = P.tokens.length
    const nC = C.tokens.length
    const gam = new Float32Array(nP)
    const exact = new Float64Array(nC)
    const pr = new Float32Array(nC)
    const lp = new Float32Array(nC)
    const suf = new Uint32Array(nC)
    const lower = levels[d - 1] // the level the suffixes live in
    const lowerStart = d >= 2 ? levels[d - 2].childStart! : null
    const o = d * 3 // discounts of order d + 1
    const D1 = discounts[o]
    const D2 = discounts[o + 1]
    const D3 = discounts[o + 2]
    const cc = C.counts
    for (let u = 0; u < nP; u++) {
      const a = cs[u]
      const b = cs[u + 1]
      if (a === b) {
        gam[u] = 1
        continue
      }
      let tot = 0
      let n1 = 0
      let n2 = 0
      let n3 = 0
      for (let x = a; x < b; x++) {
        const c = cc[x]
        tot += c
        if (c === 1) n1++
        else if (c === 2) n2++
        else n3++
      }
      const g = (D1 * n1 + D2 * n2 + D3 * n3) / tot
      gam[u] = g
      let lo = 0
      let hi = 0
      if (lowerStart) {
        const su = sufParent[u]
        lo = lowerStart[su]
        hi = lowerStart[su + 1]
      }
      for (let x = a; x < b; x++) {
        const w = C.tokens[x]
        let y: number
        if (lowerStart) {
          y = findChild(lower.tokens, lo, hi, w)
          lo = y + 1
        } else {
          y = unigramNode[w]
        }
        if (y < 0) throw new Error('corrupt model: an n-gram whose suffix is missing')
        const c = cc[x]
        const p = (c - (c === 1 ? D1 : c === 2 ? D2 : D3)) / tot + g * lowerProb[y]
        exact[x] = p
        pr[x] = p
        lp[x] = Math.log(p)
        suf[x] = y
      }
    }
    contextGamma.push(gam)
    nodeProb.push(pr)
    nodeLogProb.push(lp)
    lowerProb = exact
    sufParent = suf
  }
  return { contextGamma, nodeProb, nodeLogProb }
}

/** Attach the derived tables (given, e.g. read from a file, or computed) and the unigram tables. */
export function finalizeModel(m: StoredModel, tables: DerivedTables = deriveTables(m)): NgramModel {
  const { unigramProb, unigramLogProb, unigramNode } = unigramTables(m)
  return { ...m, ...tables, unigramProb, unigramLogProb, unigramNode }
}

// ---------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------

/** Binary search of `token` among children lo..hi of a level; −1 if absent. */
function findChild(tokens: Uint32Array, lo: number, hi: number, token: number): number {
  hi--
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const t = tokens[mid]
    if (t < token) lo = mid + 1
    else if (t > token) hi = mid - 1
    else return mid
  }
  return -1
}

const ctxBuf = new Int32Array(MAX_ORDER)

/**
 * Resolve the context: nodes[k] = node of level k for the effective context's last k
 * tokens, k = 1..K, where K is the largest k whose context has successors. Returns K.
 */
function resolveContext(m: NgramModel, context: ArrayLike<number>, nodes: Int32Array): number {
  const { order, eot, bos, levels } = m
  const want = order - 1
  // effective context: the last `want` tokens; an EOT cuts it; a short context starts a document
  let n = 0
  const len = context.length
  let i = len - 1
  for (; i >= 0 && n < want; i--) {
    const t = context[i]
    if (t === eot) break
    ctxBuf[n++] = t >= 0 && t <= bos && t === Math.floor(t) ? t : -1 // reversed; −1: not a token id (never matches)
  }
  if (n < want && (i < 0 || context[i] === eot)) ctxBuf[n++] = bos
  // ctxBuf[0] is the most recent token, ctxBuf[n-1] the oldest
  let K = 0
  for (let k = 1; k <= n; k++) {
    // context of length k: ctxBuf[k-1] (oldest) .. ctxBuf[0] (newest)
    const first = ctxBuf[k - 1]
    if (first < 0) return K
    let node = m.unigramNode[first]
    for (let d = 1; d < k && node >= 0; d++) {
      const cs = levels[d - 1].childStart!
      const t = ctxBuf[k - 1 - d]
      node = findChild(levels[d].tokens, cs[node], cs[node + 1], t)
    }
    if (node < 0) return K
    const cs = levels[k - 1].childStart!
    if (cs[node] === cs[node + 1]) return K // no successors: this order and longer ones are skipped
    nodes[k] = node
    K = k
  }
  return K
}

const nodeBuf = new Int32Array(MAX_ORDER + 1)
const coefBuf = new Float64Array(MAX_ORDER + 1)

/** Fill coefBuf[k] = Π_{j>k} γ_j for k = 0..K (coefBuf[0] = weight of the unigram distribution). */
function coefficients(m: NgramModel, K: number): void {
  coefBuf[K] = 1
  for (let k = K; k >= 1; k--) coefBuf[k - 1] = coefBuf[k] * m.contextGamma[k - 1][nodeBuf[k]]
}

/*
 * The distribution for a context whose suffixes of length 1..K have successors:
 *
 *   p(w) = coef_k · p_{k+1}(w | ctx_k)   for the deepest k such that w follows ctx_k,
 *   p(w) = coef_0 · p_1(w)               when w follows none of them,
 *
 * with coef_k = Π_{j>k} γ(ctx_j). p_{k+1}(w | ctx_k) is precomputed per trie node
 * (nodeProb), and the successors of ctx_{k+1} are a subset of those of ctx_k, so the
 * distribution is: one pass over the vocabulary for the unigram part, then one
 * overwrite pass per level over that context's successor list, deepest last. No log is
 * taken at query time.
 */

/**
 * Next-token distribution as probabilities (Float64, length vocabSize) given the context.
 * Cost: one pass over the vocabulary + the successor lists of the context's suffixes.
 */
export function probabilities(m: NgramModel, context: ArrayLike<number>, out?: Float64Array): Float64Array {
  const V = m.vocabSize
  if (!out) out = new Float64Array(V)
  else if (out.length !== V) throw new RangeError(`out must have length ${V}`)
  const K = resolveContext(m, context, nodeBuf)
  coefficients(m, K)
  const G = coefBuf[0]
  const p1 = m.unigramProb
  if (K === 0) out.set(p1)
  else for (let w = 0; w < V; w++) out[w] = G * p1[w]
  for (let k = 1; k <= K; k++) {
    const coef = coefBuf[k]
    const cs = m.levels[k - 1].childStart!
    const toks = m.levels[k].tokens
    const pr = m.nodeProb[k]
    const node = nodeBuf[k]
    const end = cs[node + 1]
    for (let j = cs[node]; j < end; j++) out[toks[j]] = coef * pr[j]
  }
  return out
}

/**
 * Next-token natural-log probabilities (Float32, length vocabSize): softmax(logits) is
 * the model's distribution exactly (Σ exp(logits) = 1 up to float32 rounding).
 * Cost: one pass over the vocabulary + the successor lists of the context's suffixes.
 */
export function logits(m: NgramModel, context: ArrayLike<number>, out?: Float32Array): Float32Array {
  const V = m.vocabSize
  if (!out) out = new Float32Array(V)
  else if (out.length !== V) throw new RangeError(`out must have length ${V}`)
  const K = resolveContext(m, context, nodeBuf)
  coefficients(m, K)
  const lp1 = m.unigramLogProb
  if (K === 0) {
    for (let w = 0; w < V; w++) out[w] = lp1[w]
    return out
  }
  const lg = Math.log(coefBuf[0])
  for (let w = 0; w < V; w++) out[w] = lg + lp1[w]
  for (let k = 1; k <= K; k++) {
    const lc = Math.log(coefBuf[k])
    const cs = m.levels[k - 1].childStart!
    const toks = m.levels[k].tokens
    const lp = m.nodeLogProb[k]
    const node = nodeBuf[k]
    const end = cs[node + 1]
    for (let j = cs[node]; j < end; j++) out[toks[j]] = lc + lp[j]
  }
  return out
}

/** Probability of one token given the context (cheap: a few binary searches). */
export function prob(m: NgramModel, context: ArrayLike<number>, token: number): number {
  if (!(token >= 0 && token < m.vocabSize)) throw new RangeError(`token id ${token} outside 0..${m.vocabSize - 1}`)
  const K = resolveContext(m, context, nodeBuf)
  coefficients(m, K)
  for (let k = K; k >= 1; k--) {
    const cs = m.levels[k - 1].childStart!
    const node = nodeBuf[k]
    const j = findChild(m.levels[k].tokens, cs[node], cs[node + 1], token)
    if (j >= 0) return coefBuf[k] * m.nodeProb[k][j]
  }
  return coefBuf[0] * m.unigramProb[token]
}

/** Natural-log probability of one token given the context. */
export function logProb(m: NgramModel, context: ArrayLike<number>, token: number): number {
  return Math.log(prob(m, context, token))
}

export interface PerplexityOptions {
  /** Also score the end-of-text token after each document. Default false. */
  endOfText?: boolean
}

/**
 * Perplexity exp(−mean ln p) over the tokens of one document, or of several documents
 * (each scored from its own start). Returns NaN when there is nothing to score.
 */
export function perplexity(m: NgramModel, tokens: ArrayLike<number> | readonly ArrayLike<number>[], options: PerplexityOptions = {}): number {
  const { sum, count } = logLikelihood(m, tokens, options)
  return Math.exp(-sum / count)
}

/** Σ ln p and the number of scored tokens (see perplexity). */
export function logLikelihood(
  m: NgramModel,
  tokens: ArrayLike<number> | readonly ArrayLike<number>[],
  options: PerplexityOptions = {},
): { sum: number; count: number } {
  const docs: ArrayLike<number>[] = isSequenceList(tokens) ? [...tokens] : [tokens as ArrayLike<number>]
  let sum = 0
  let count = 0
  const w = m.order - 1
  for (const doc of docs) {
    const seq = doc instanceof Uint32Array ? doc : Uint32Array.from(doc as ArrayLike<number>)
    for (let i = 0; i < seq.length; i++) {
      sum += logProb(m, seq.subarray(Math.max(0, i - w), i), seq[i])
      count++
    }
    if (options.endOfText) {
      sum += logProb(m, seq.subarray(Math.max(0, seq.length - w)), m.eot)
      count++
    }
  }
  return { sum, count }
}

function isSequenceList(x: ArrayLike<number> | readonly ArrayLike<number>[]): x is readonly ArrayLike<number>[] {
  return Array.isArray(x) && (x.length === 0 || typeof x[0] !== 'number')
}

/**
 * The logits of the tokens that can rank high, for a sampler that keeps only the
 * top k (the attack lab generates millions of tokens; a full pass over the
 * vocabulary per step is most of its cost). Sets `out[t]` exactly as `logits`
 * would for every id in `unigramIds` (the most likely unigram ids, in decreasing
 * order) and for the `limit` most likely successors of each suffix of the context
 * (`Infinity`: all of them), records them in `touched`, and leaves every other
 * entry as it was (the caller keeps them at -Infinity). `order[k]` caches, per trie
 * node of level k, its successor positions by decreasing probability, filled on
 * first use. Returns how many ids were touched and `floor`, a bound no untouched or
 * cut id's true logit exceeds (the unigram cut and each level's cut): if the k-th
 * largest touched logit minus any sampler slack is above it, the top k are exactly
 * those of the full logits. Exact because a token's logit at a deeper suffix is never
 * below its logit at a shallower one (interpolation adds a non-negative discounted
 * term: p_{k+1}(w | ctx_k) >= γ(ctx_k) p_k(w | ctx_{k-1})), so a token read at a
 * shallower level but cut at its deepest holds at most its true logit, which is at
 * most that level's cut.
 */
export function sparseTopLogits(
  m: NgramModel,
  context: ArrayLike<number>,
  out: Float32Array,
  touched: Int32Array,
  unigramIds: ArrayLike<number>,
  limit: number,
  order: Array<Map<number, Int32Array>>,
): { count: number; floor: number } {
  const K = resolveContext(m, context, nodeBuf)
  coefficients(m, K)
  const lp1 = m.unigramLogProb
  const lg0 = K === 0 ? 0 : Math.log(coefBuf[0])
  let n = 0
  for (let i = 0; i < unigramIds.length; i++) {
    const id = unigramIds[i]
    out[id] = lg0 + lp1[id]
    touched[n++] = id
  }
  const last = unigramIds.length ? unigramIds[unigramIds.length - 1] : -1
  let floor = last < 0 ? Infinity : lg0 + lp1[last]
  for (let k = 1; k <= K; k++) {
    const lc = Math.log(coefBuf[k])
    const cs = m.levels[k - 1].childStart!
    const toks = m.levels[k].tokens
    const lp = m.nodeLogProb[k]
    const node = nodeBuf[k]
    const start = cs[node]
    const end = cs[node + 1]
    if (end - start <= limit) {
      for (let j = start; j < end; j++) {
        const t = toks[j]
        if (out[t] === -Infinity) touched[n++] = t
        out[t] = lc + lp[j]
      }
      continue
    }
    order[k] ??= new Map()
    let byProb = order[k].get(node)
    if (!byProb) {
      byProb = Int32Array.from({ length: end - start }, (_, i) => start + i).sort((a, b) => lp[b] - lp[a])
      order[k].set(node, byProb)
    }
    for (let i = 0; i < limit; i++) {
      const j = byProb[i]
      const t = toks[j]
      if (out[t] === -Infinity) touched[n++] = t
      out[t] = lc + lp[j]
    }
    floor = Math.max(floor, lc + lp[byProb[limit]])
  }
  return { count: n, floor }
}
