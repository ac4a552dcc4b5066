/**
 * The host's sampling pipeline (validation, temperature, top-k, top-p, softmax,
 * draw), shared by the plain sampler and every scheme's `sample`, so that a
 * watermarked step truncates exactly as the unwatermarked one would.
 */

/** How the host samples. The watermark respects all of it. */
export interface SampleOptions {
  /** Softmax temperature; 0 means greedy. Default 1. */
  temperature?: number
  /** Keep only the k most likely tokens; 0 or undefined keeps all. */
  topK?: number
  /** Keep the smallest set of tokens whose probability reaches p; 1 or undefined keeps all. */
  topP?: number
  /** Uniform [0, 1) source for the draw; default `Math.random`. Inject a seeded one for reproducibility. */
  random?: () => number
  /**
   * For hosts that compute logits only for some tokens: their ids, strictly
   * ascending. Every other token is treated as masked (-Infinity) and its logit
   * is not read, so a top-k step costs the support's size instead of the
   * vocabulary's. Used only with top-k or greedy sampling; the draw is the one the
   * full logits with the other tokens at -Infinity would give.
   */
  support?: ArrayLike<number>
}

/**
 * Working buffers for one sequence, sized once to the vocabulary. Candidates are
 * either `dense` (every token id, read straight from the host's logits: no copy
 * on the common full-vocabulary path) or a gathered list in `ids` / `logit`.
 */
export interface Candidates {
  dense: boolean
  /** The host's logits, read in place when dense. */
  src: Float32Array
  ids: Int32Array
  /** Gathered logits (biased if the scheme biases). */
  logit: Float64Array
  /** Unnormalized probabilities after temperature and truncation; they sum to `sum`. */
  prob: Float64Array
  sum: number
  /** Scratch per candidate for schemes (g-bits). */
  aux: Int32Array
  n: number
}

export function createCandidates(vocabSize: number): Candidates {
  return {
    dense: false,
    src: new Float32Array(0),
    ids: new Int32Array(vocabSize),
    logit: new Float64Array(vocabSize),
    prob: new Float64Array(vocabSize),
    sum: 0,
    aux: new Int32Array(vocabSize),
    n: 0,
  }
}

/** Token id of candidate `i`. */
export function idOf(c: Candidates, i: number): number {
  return c.dense ? i : c.ids[i]
}

/**
 * Rejects logits a sampler must never silently accept: a wrong length, NaN, +Infinity,
 * or every token masked. Returns the largest logit. `-Infinity` is a host mask and stays.
 */
export function checkLogits(logits: Float32Array, vocabSize: number): number {
  if (!(logits instanceof Float32Array)) throw new TypeError('logits must be a Float32Array')
  if (logits.length !== vocabSize) {
    throw new RangeError(`logits has length ${logits.length} but the key's vocabulary size is ${vocabSize}`)
  }
  let max = -Infinity
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]
    // One comparison per element on the common path: NaN fails `<=` too.
    if (!(v <= max)) {
      if (v !== v) throw new RangeError(`logits[${i}] is NaN`)
      max = v
    }
  }
  if (max === Infinity) throw new RangeError(`logits[${logits.indexOf(Infinity)}] is +Infinity`)
  if (max === -Infinity) throw new RangeError('every logit is -Infinity: no token can be sampled')
  return max
}

/** Validates sampling options, naming the field at fault. */
export function checkOptions(o: SampleOptions): void {
  const t = o.temperature ?? 1
  if (!(t >= 0) || !Number.isFinite(t)) throw new RangeError(`temperature must be a finite number >= 0, got ${o.temperature}`)
  const k = o.topK ?? 0
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`topK must be a non-negative integer, got ${o.topK}`)
  const p = o.topP ?? 1
  if (!(p > 0 && p <= 1)) throw new RangeError(`topP must be in (0, 1], got ${o.topP}`)
}

/**
 * Validates the logits and selects the candidates the host's options allow, in
 * one read of the vocabulary. Without top-k (or greedy) the candidates are the
 * whole vocabulary, read in place. With top-k, a size-k min-heap tracks the k-th
 * largest value while every value within `slack` of it is collected (a scheme
 * that raises logits by delta passes delta: a token further below cannot reach
 * the top k). Returns the largest logit.
 */
export function select(logits: Float32Array, vocabSize: number, o: SampleOptions, c: Candidates, slack = 0): number {
  const t = o.temperature ?? 1
  const k = t === 0 ? 1 : (o.topK ?? 0)
  if (k === 0 || k >= vocabSize) {
    const max = checkLogits(logits, vocabSize)
    c.src = logits
    c.dense = true
    c.n = vocabSize
    return max
  }
  if (!(logits instanceof Float32Array)) throw new TypeError('logits must be a Float32Array')
  if (logits.length !== vocabSize) {
    throw new RangeError(`logits has length ${logits.length} but the key's vocabulary size is ${vocabSize}`)
  }
  const heap = new Float64Array(k)
  let size = 0
  let floor = -Infinity
  let max = -Infinity
  let n = 0
  const ids = c.ids, lg = c.logit
  // A support lists the only ids to read, ascending, so the candidates come out
  // in id order exactly as from a full read (the draw depends on that order).
  const support = o.support
  if (support) checkSupport(support, vocabSize)
  const reads = support ? support.length : logits.length
  for (let s = 0; s < reads; s++) {
    const i = support ? support[s] : s
    const v = logits[i]
    if (!(v <= max)) {
      if (v !== v) throw new RangeError(`logits[${i}] is NaN`)
      max = v
    }
    if (v < floor || v === -Infinity) continue
    ids[n] = i
    lg[n++] = v
    if (size < k) {
      let j = size++
      heap[j] = v
      while (j > 0) {
        const parent = (j - 1) >> 1
        if (heap[parent] <= heap[j]) break
        const tmp = heap[parent]; heap[parent] = heap[j]; heap[j] = tmp
        j = parent
      }
      if (size === k) floor = heap[0] - slack
    } else if (v > heap[0]) {
      heap[0] = v
      let j = 0
      for (;;) {
        const l = 2 * j + 1
        if (l >= k) break
        const ch = l + 1 < k && heap[l + 1] < heap[l] ? l + 1 : l
        if (heap[ch] >= heap[j]) break
        const tmp = heap[ch]; heap[ch] = heap[j]; heap[j] = tmp
        j = ch
      }
      floor = heap[0] - slack
    }
  }
  if (max === Infinity) throw new RangeError(`logits[${logits.indexOf(Infinity)}] is +Infinity`)
  if (max === -Infinity) throw new RangeError('every logit is -Infinity: no token can be sampled')
  // Values collected before the heap filled may have fallen below the final floor.
  let m = 0
  for (let j = 0; j < n; j++) {
    if (lg[j] >= floor) {
      ids[m] = ids[j]
      lg[m++] = lg[j]
    }
  }
  c.src = logits
  c.dense = false
  c.n = m
  return max
}

/** Turns dense candidates into an explicit list (for the rare paths that reorder them). */
function materialize(c: Candidates): void {
  if (!c.dense) return
  const src = c.src
  let n = 0
  for (let i = 0; i < src.length; i++) {
    if (src[i] !== -Infinity) {
      c.ids[n] = i
      c.logit[n] = src[i]
      c.prob[n] = c.prob[i]
      n++
    }
  }
  c.dense = false
  c.n = n
}

function swap(c: Candidates, i: number, j: number): void {
  const id = c.ids[i]; c.ids[i] = c.ids[j]; c.ids[j] = id
  const l = c.logit[i]; c.logit[i] = c.logit[j]; c.logit[j] = l
}

/** Keeps the k largest candidates (ties broken toward lower ids, as a stable sort would). */
function keepTopK(c: Candidates, k: number): void {
  materialize(c)
  if (c.n <= k) return
  // Quickselect on (logit desc, id asc): expected O(n), no allocation.
  let lo = 0, hi = c.n - 1
  const before = (i: number, pl: number, pid: number) => c.logit[i] > pl || (c.logit[i] === pl && c.ids[i] < pid)
  while (lo < hi) {
    const m = (lo + hi) >>> 1
    const pl = c.logit[m], pid = c.ids[m]
    swap(c, m, hi)
    let store = lo
    for (let i = lo; i < hi; i++) if (before(i, pl, pid)) swap(c, i, store++)
    swap(c, store, hi)
    if (store === k - 1) break
    if (store < k - 1) lo = store + 1
    else hi = store - 1
  }
  c.n = k
}

/**
 * Applies temperature, top-k and top-p to the candidates and fills `c.prob` with
 * the unnormalized distribution the host would sample from (total in `c.sum`).
 * Temperature 0 leaves the single argmax with probability 1.
 *
 * Weights are exp((logit - max) / T), one exp per candidate: the cost every
 * host's softmax pays. No normalization pass: consumers scale by `c.sum`.
 */
export function truncate(c: Candidates, o: SampleOptions, max = NaN): void {
  const t = o.temperature ?? 1
  const k = o.topK ?? 0
  const topP = o.topP ?? 1
  if (t === 0) {
    keepTopK(c, 1)
    c.prob[0] = 1
    c.sum = 1
    return
  }
  if (k > 0) keepTopK(c, k)
  weigh(c, t, c.dense ? max : NaN)
  if (topP < 1) keepNucleus(c, topP)
}

/**
 * Softmax weights exp((logit - max) / t) of the candidates into `c.prob`, total
 * in `c.sum`. Dense candidates take the maximum the caller already found while
 * validating, so the vocabulary is read twice per step, as a host's softmax does.
 */
function weigh(c: Candidates, t: number, knownMax: number): void {
  const n = c.n, pr = c.prob
  const inv = 1 / t
  let max = -Infinity
  let sum = 0
  if (c.dense) {
    const src = c.src
    max = knownMax
    if (max !== max) for (let i = 0; i < n; i++) if (src[i] > max) max = src[i]
    for (let i = 0; i < n; i++) {
      const e = Math.exp((src[i] - max) * inv)
      pr[i] = e
      sum += e
    }
  } else {
    const lg = c.logit
    for (let i = 0; i < n; i++) if (lg[i] > max) max = lg[i]
    for (let i = 0; i < n; i++) {
      const e = Math.exp((lg[i] - max) * inv)
      pr[i] = e
      sum += e
    }
  }
  c.sum = sum
}

/**
 * Top-p: the smallest prefix, in decreasing probability, whose mass reaches p,
 * then renormalized. Only candidates above a probability floor are sorted; the
 * floor is lowered until the kept mass reaches p, so the result is exact (every
 * kept candidate outranks every dropped one) without sorting the whole vocabulary.
 */
export function keepNucleus(c: Candidates, p: number): void {
  materialize(c)
  const n = c.n, pr = c.prob
  const target = p * c.sum
  let pmax = 0
  for (let i = 0; i < n; i++) if (pr[i] > pmax) pmax = pr[i]
  let floor = pmax * 1e-3
  let m = 0
  for (;;) {
    m = 0
    let mass = 0
    for (let i = 0; i < n; i++) {
      if (pr[i] >= floor) {
        mass += pr[i]
        m++
      }
    }
    if (mass >= target || floor === 0) break
    floor = floor < 1e-300 ? 0 : floor * 1e-3
  }
  const order = new Int32Array(m)
  for (let i = 0, j = 0; i < n; i++) if (pr[i] >= floor) order[j++] = i
  order.sort((a, b) => pr[b] - pr[a] || c.ids[a] - c.ids[b])
  let keep = 0
  let mass = 0
  while (keep < m && mass < target) mass += pr[order[keep++]]
  const ids = new Int32Array(keep), lg = new Float64Array(keep), pk = new Float64Array(keep)
  for (let j = 0; j < keep; j++) {
    ids[j] = c.ids[order[j]]
    lg[j] = c.logit[order[j]]
    pk[j] = pr[order[j]]
  }
  c.ids.set(ids)
  c.logit.set(lg)
  c.prob.set(pk)
  c.n = keep
  c.sum = mass
}

/** A support must be strictly ascending ids below the vocabulary size: checked once, before the read loop. */
function checkSupport(support: ArrayLike<number>, vocabSize: number): void {
  let prev = -1
  for (let s = 0; s < support.length; s++) {
    const i = support[s]
    if (!(Number.isInteger(i) && i > prev && i < vocabSize)) {
      throw new RangeError(`support[${s}] = ${i}: support must be strictly ascending token ids below ${vocabSize}`)
    }
    prev = i
  }
}

/** Inverse-CDF draw from `c.prob` with one uniform; returns the token id. */
export function draw(c: Candidates, random: () => number): number {
  return idOf(c, drawIndex(c, random))
}

/** The candidate index {@link draw} picks: its probability is `c.prob[i] / c.sum`. */
export function drawIndex(c: Candidates, random: () => number): number {
  const u = random() * c.sum
  let acc = 0
  for (let i = 0; i < c.n; i++) {
    acc += c.prob[i]
    if (u < acc) return i
  }
  // Rounding can leave acc a hair below sum: the last candidate with mass takes it.
  for (let i = c.n - 1; i >= 0; i--) if (c.prob[i] > 0) return i
  return 0
}

/**
 * Plain, unwatermarked sampling with the host's options: the baseline every
 * scheme is measured against, and what a session does on a repeated window.
 */
let shared: Candidates | null = null

export function sampleLogits(logits: Float32Array, options: SampleOptions = {}): number {
  checkOptions(options)
  // Buffers are reused across calls (sampling is synchronous, so one set suffices).
  if (!shared || shared.ids.length !== logits.length) shared = createCandidates(logits.length)
  const c = shared
  const max = select(logits, logits.length, options, c)
  truncate(c, options, max)
  return draw(c, options.random ?? Math.random)
}
