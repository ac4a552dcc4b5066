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
}

/** Working buffers for one sequence, sized once to the vocabulary. */
export interface Candidates {
  ids: Int32Array
  /** Logits (biased if the scheme biases), then divided by the temperature. */
  logit: Float64Array
  /** Normalized probabilities after truncation. */
  prob: Float64Array
  /** Scratch per candidate for schemes (g-bits, uniforms). */
  aux: Float64Array
  n: number
}

export function createCandidates(vocabSize: number): Candidates {
  return {
    ids: new Int32Array(vocabSize),
    logit: new Float64Array(vocabSize),
    prob: new Float64Array(vocabSize),
    aux: new Float64Array(vocabSize),
    n: 0,
  }
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
    if (v > max) max = v
    else if (v !== v) throw new RangeError(`logits[${i}] is NaN`)
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
 * The k-th largest finite value of `logits` (a size-k min-heap: one read pass,
 * O(V log k) only for the few values that enter the heap). Returns -Infinity
 * when fewer than k values are finite.
 */
export function kthLargest(logits: Float32Array, k: number): number {
  const heap = new Float64Array(k)
  let size = 0
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]
    if (v === -Infinity) continue
    if (size < k) {
      let j = size++
      heap[j] = v
      while (j > 0) {
        const parent = (j - 1) >> 1
        if (heap[parent] <= heap[j]) break
        const tmp = heap[parent]; heap[parent] = heap[j]; heap[j] = tmp
        j = parent
      }
    } else if (v > heap[0]) {
      heap[0] = v
      let j = 0
      for (;;) {
        const l = 2 * j + 1
        if (l >= k) break
        const c = l + 1 < k && heap[l + 1] < heap[l] ? l + 1 : l
        if (heap[c] >= heap[j]) break
        const tmp = heap[c]; heap[c] = heap[j]; heap[j] = tmp
        j = c
      }
    }
  }
  return size < k ? -Infinity : heap[0]
}

/** Copies the unmasked logits with value >= `floor` into `c` (ids and logits). */
export function gather(logits: Float32Array, floor: number, c: Candidates): void {
  let n = 0
  const ids = c.ids, lg = c.logit
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]
    if (v >= floor && v !== -Infinity) {
      ids[n] = i
      lg[n++] = v
    }
  }
  c.n = n
}

function swap(c: Candidates, i: number, j: number): void {
  const id = c.ids[i]; c.ids[i] = c.ids[j]; c.ids[j] = id
  const l = c.logit[i]; c.logit[i] = c.logit[j]; c.logit[j] = l
}

/** Keeps the k largest candidates (ties broken toward lower ids, as a stable sort would). */
function keepTopK(c: Candidates, k: number): void {
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
 * Applies temperature, top-k and top-p to the gathered candidates and fills
 * `c.prob` with the normalized distribution the host would sample from.
 * Temperature 0 leaves the single argmax with probability 1.
 */
export function truncate(c: Candidates, o: SampleOptions): void {
  const t = o.temperature ?? 1
  const k = o.topK ?? 0
  const topP = o.topP ?? 1
  if (t === 0) {
    keepTopK(c, 1)
    c.prob[0] = 1
    return
  }
  if (k > 0) keepTopK(c, k)
  const n = c.n, lg = c.logit, pr = c.prob
  let max = -Infinity
  for (let i = 0; i < n; i++) {
    lg[i] /= t
    if (lg[i] > max) max = lg[i]
  }
  let sum = 0
  for (let i = 0; i < n; i++) {
    const e = Math.exp(lg[i] - max)
    pr[i] = e
    sum += e
  }
  for (let i = 0; i < n; i++) pr[i] /= sum
  if (topP < 1) keepNucleus(c, topP)
}

/**
 * Top-p: the smallest prefix, in decreasing probability, whose mass reaches p,
 * then renormalized. Only candidates above a probability floor are sorted; the
 * floor is lowered until the kept mass reaches p, so the result is exact (every
 * kept candidate outranks every dropped one) without sorting the whole vocabulary.
 */
function keepNucleus(c: Candidates, p: number): void {
  const n = c.n, pr = c.prob
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
    if (mass >= p || floor === 0) break
    floor = floor < 1e-300 ? 0 : floor * 1e-3
  }
  const order = new Int32Array(m)
  for (let i = 0, j = 0; i < n; i++) if (pr[i] >= floor) order[j++] = i
  order.sort((a, b) => pr[b] - pr[a] || c.ids[a] - c.ids[b])
  let keep = 0
  let mass = 0
  while (keep < m && mass < p) mass += pr[order[keep++]]
  const ids = new Int32Array(keep), lg = new Float64Array(keep), pk = new Float64Array(keep)
  for (let j = 0; j < keep; j++) {
    ids[j] = c.ids[order[j]]
    lg[j] = c.logit[order[j]]
    pk[j] = pr[order[j]] / mass
  }
  c.ids.set(ids)
  c.logit.set(lg)
  c.prob.set(pk)
  c.n = keep
}

/** Inverse-CDF draw from `c.prob` with one uniform; returns the token id. */
export function draw(c: Candidates, random: () => number): number {
  const u = random()
  let acc = 0
  for (let i = 0; i < c.n; i++) {
    acc += c.prob[i]
    if (u < acc) return c.ids[i]
  }
  // Rounding can leave acc a hair below 1: the last candidate with mass takes it.
  for (let i = c.n - 1; i >= 0; i--) if (c.prob[i] > 0) return c.ids[i]
  return c.ids[0]
}

/**
 * Plain, unwatermarked sampling with the host's options: the baseline every
 * scheme is measured against, and what a session does on a repeated window.
 */
export function sampleLogits(logits: Float32Array, options: SampleOptions = {}): number {
  checkOptions(options)
  const max = checkLogits(logits, logits.length)
  return samplePlain(logits, max, options, createCandidates(logits.length))
}

/** {@link sampleLogits} on checked logits (`max` is their largest value) and reused buffers. */
export function samplePlain(logits: Float32Array, max: number, o: SampleOptions, c: Candidates): number {
  const k = o.topK ?? 0
  gather(logits, o.temperature === 0 ? max : k > 0 ? kthLargest(logits, k) : -Infinity, c)
  truncate(c, o)
  return draw(c, o.random ?? Math.random)
}
