import type { FingerprintSpec } from '../spec.js'
import { accountCodeword, bytesAccount, COLOURS, fingerprintCode } from './code.js'
import { EXP, gfDiv, LOG, MUL } from './gf256.js'
import { rsDecode, rsEncode, type RsCode } from './reedsolomon.js'
import type { FingerprintVotes } from './votes.js'

/** An account the votes point to, and how many votes its codeword collects. */
export interface FingerprintCandidate {
  account: number
  /**
   * The evidence its codeword collects: unique tuples whose colour equals the
   * codeword byte at their position (colour bias), or the sum of their race
   * scores under those bytes (race).
   */
  matches: number
}

/** Votes collected by a codeword. */
export function codewordMatches(counts: ArrayLike<number>, codeword: Uint8Array): number {
  let s = 0
  for (let p = 0; p < codeword.length; p++) s += counts[p * COLOURS + codeword[p]]
  return s
}

/** The two best colours of each position and their counts. */
function ranked(counts: ArrayLike<number>, positions: number) {
  const best = new Int32Array(positions), second = new Int32Array(positions)
  const bestN = new Float64Array(positions), secondN = new Float64Array(positions)
  for (let p = 0; p < positions; p++) {
    let b = -1, bn = 0, s = -1, sn = 0
    for (let c = 0; c < COLOURS; c++) {
      const v = counts[p * COLOURS + c]
      if (v > bn) {
        s = b; sn = bn
        b = c; bn = v
      } else if (v > sn) {
        s = c; sn = v
      }
    }
    best[p] = b; bestN[p] = bn; second[p] = s; secondN[p] = sn
  }
  return { best, second, bestN, secondN }
}

/** EXP over exponents 0, 1, 2, ... without reducing them mod 255 first (grown as needed). */
let expWide = new Uint8Array(0)

/**
 * Lagrange basis of a k-subset of positions: row i is the codeword of the message
 * that is 1 at positions[i] and 0 at the other chosen positions, and `coef` row i
 * its message bytes (rows and coefficients flat: row i at i * n and i * (k + 1)).
 * Any values at the chosen positions then give the codeword (and message) as a
 * linear combination, so each candidate costs k * n multiplications instead of a
 * fresh interpolation. Table multiplications and no allocation: decoding visits
 * hundreds of subsets per text, and a scan decodes every document.
 */
function basisInto(code: RsCode, positions: Int32Array, rows: Uint8Array, coef: Uint8Array, xs: Uint8Array): void {
  const k = positions.length
  const n = code.n
  // Exponents below reach k * 254 + 254: a table that wide needs no reduction mod 255.
  if (expWide.length < (k + 1) * 255) {
    expWide = new Uint8Array((k + 1) * 255)
    for (let e = 0; e < expWide.length; e++) expWide[e] = EXP[e % 255]
  }
  for (let i = 0; i < k; i++) xs[i] = code.points[positions[i]]
  for (let i = 0; i < k; i++) {
    // prod_{j != i} (x - x_j), expanded (subtraction is xor in GF(2^8)).
    const c0 = i * (k + 1)
    coef.fill(0, c0, c0 + k + 1)
    coef[c0] = 1
    let deg = 0
    let denom = 1
    const xi = xs[i]
    for (let j = 0; j < k; j++) {
      if (j === i) continue
      const xj = xs[j]
      for (let d = deg + 1; d >= 1; d--) coef[c0 + d] = coef[c0 + d - 1] ^ MUL[(coef[c0 + d] << 8) | xj]
      coef[c0] = MUL[(coef[c0] << 8) | xj]
      deg++
      denom = MUL[(denom << 8) | (xi ^ xj)]
    }
    const inv = gfDiv(1, denom)
    for (let d = 0; d < k; d++) coef[c0 + d] = MUL[(coef[c0 + d] << 8) | inv]
    // log of 1 / denom_i, kept for the rows below.
    xs[k + i] = LOG[inv]
  }
  // Row i at x is prod_{j != i} (x - x_j) / denom_i = P(x) / ((x - x_i) denom_i) with
  // P(x) = prod_j (x - x_j): one product per position and one log-domain division
  // per (row, position), instead of a degree-k Horner per (row, position).
  for (let p = 0; p < n; p++) {
    const x = code.points[p]
    let logP = 0
    let zero = -1
    for (let j = 0; j < k; j++) {
      const d = x ^ xs[j]
      if (d === 0) zero = j
      else logP += LOG[d]
    }
    for (let i = 0; i < k; i++) {
      if (zero >= 0) rows[i * n + p] = zero === i ? 1 : 0
      else rows[i * n + p] = expWide[logP - LOG[x ^ xs[i]] + xs[k + i]]
    }
  }
}

/**
 * The Lagrange bases of k-subsets of a code's positions, filled as subsets are
 * met. A scan decodes thousands of documents, each over C(12, k) subsets of its
 * most reliable positions; the subsets come from only C(n, k) possible ones
 * (35,960 for the 32-position code), and computing a basis was a fifth of a
 * race key's scoring time. A subset's entry holds its rows and message
 * coefficients in increasing order of position.
 */
interface BasisCache {
  rows: Uint8Array
  coef: Uint8Array
  done: Uint8Array
  /** choose[a * (k + 1) + b] = C(a, b). */
  choose: Float64Array
  sorted: Int32Array
}

/** Largest table kept per code (bytes): the 32-position, 4-byte code needs 5.3 MB. */
const BASIS_CACHE_BYTES = 8 << 20
// By shape, not by code object: a code's points depend on n alone (see rsCode), and
// rsCode makes a new object per call.
const basisCaches = new Map<string, BasisCache | null>()

function basisCache(code: RsCode): BasisCache | null {
  const { n, k } = code
  const id = `${n}/${k}`
  let c = basisCaches.get(id)
  if (c !== undefined) return c
  const choose = new Float64Array((n + 1) * (k + 1))
  for (let a = 0; a <= n; a++) {
    choose[a * (k + 1)] = 1
    for (let b = 1; b <= k; b++) choose[a * (k + 1) + b] = a === 0 ? 0 : choose[(a - 1) * (k + 1) + b - 1] + choose[(a - 1) * (k + 1) + b]
  }
  const subsets = choose[n * (k + 1) + k]
  c = subsets * (k * n + k * (k + 1)) > BASIS_CACHE_BYTES ? null : { rows: new Uint8Array(subsets * k * n), coef: new Uint8Array(subsets * k * (k + 1)), done: new Uint8Array(subsets), choose, sorted: new Int32Array(k) }
  basisCaches.set(id, c)
  return c
}

/**
 * {@link basisInto} through the cache: the same rows and coefficients, computed once
 * per subset; row i (of positions[i]) is left at `c.rows[rowAt[i]...]`, its message
 * coefficients at `c.coef[coefAt[i]...]` (read in place: copying them out cost more
 * than the rest of a cached lookup).
 */
function locateBasis(c: BasisCache, code: RsCode, positions: Int32Array, rows: Uint8Array, coef: Uint8Array, xs: Uint8Array, rowAt: Int32Array, coefAt: Int32Array): void {
  const { n } = code
  const k = positions.length
  const { sorted, choose } = c
  // Insertion sort: k is 4 or 5, where TypedArray#sort's call cost more than sorting.
  for (let i = 0; i < k; i++) {
    const v = positions[i]
    let j = i
    for (; j > 0 && sorted[j - 1] > v; j--) sorted[j] = sorted[j - 1]
    sorted[j] = v
  }
  // Rank of the subset in the combinatorial number system.
  let r = 0
  for (let i = 0; i < k; i++) r += choose[sorted[i] * (k + 1) + i + 1]
  const rb = r * k * n
  const cb = r * k * (k + 1)
  if (!c.done[r]) {
    basisInto(code, sorted, rows, coef, xs)
    c.rows.set(rows.subarray(0, k * n), rb)
    c.coef.set(coef.subarray(0, k * (k + 1)), cb)
    c.done[r] = 1
  }
  for (let i = 0; i < k; i++) {
    let s = 0
    while (sorted[s] !== positions[i]) s++
    rowAt[i] = rb + s * n
    coefAt[i] = cb + s * (k + 1)
  }
}

/**
 * Soft-decision list decoding of the votes: the hard-decision errors-and-erasures
 * decode, plus ordered-statistics candidates: every k-subset of the most reliable
 * positions (reliability = lead of the best colour over the runner-up), with the
 * best colour at each and, one position at a time, the runner-up, interpolated
 * to a codeword.
 * Returns distinct valid accounts, most votes first.
 */
export function decodeCandidates(f: FingerprintSpec, votes: FingerprintVotes, options: { reliable?: number; limit?: number } = {}): FingerprintCandidate[] {
  // A text's zero-bit test and its attribution decode the same votes: decode once.
  // Votes pooled over texts grow in place, and every added tuple raises `scored`.
  const reliable = options.reliable ?? 12
  const limit = options.limit ?? 16
  const hit = decoded.get(votes)
  if (hit && hit.f === f && hit.scored === votes.scored && hit.reliable === reliable && hit.limit >= limit) return hit.list.slice(0, limit)
  const list = decodeList(f, votes, reliable, Math.max(limit, 16))
  decoded.set(votes, { f, scored: votes.scored, reliable, limit: Math.max(limit, 16), list })
  return list.slice(0, limit)
}

const decoded = new WeakMap<FingerprintVotes, { f: FingerprintSpec; scored: number; reliable: number; limit: number; list: FingerprintCandidate[] }>()

function decodeList(f: FingerprintSpec, votes: FingerprintVotes, reliable: number, limit: number): FingerprintCandidate[] {
  const code = fingerprintCode(f)
  const counts = votes.counts
  const { best, second, bestN, secondN } = ranked(counts, code.n)
  const top = bestAccounts(limit)
  const hard = Array.from(best, (c, p) => (bestN[p] > secondN[p] ? c : -1))
  const message = rsDecode(code, hard)
  if (message) {
    const account = bytesAccount(f, message)
    if (account >= 0) top.offer(account, codewordMatches(counts, rsEncode(code, message)))
  }
  const order = Array.from({ length: code.n }, (_, p) => p)
    .filter((p) => bestN[p] > 0)
    .sort((a, b) => bestN[b] - secondN[b] - (bestN[a] - secondN[a]) || bestN[b] - bestN[a] || a - b)
    .slice(0, reliable)
  const k = code.k
  const accounts = 2 ** f.bits
  const n = code.n
  const m = order.length
  const rows = new Uint8Array(k * n)
  const coef = new Uint8Array(k * (k + 1))
  const xs = new Uint8Array(2 * k) // the chosen points, then the logs of 1 / denom_i
  const positions = new Int32Array(k)
  const bases = basisCache(code)
  const rowAt = new Int32Array(k)
  const coefAt = new Int32Array(k)
  const msg0 = new Uint8Array(k)
  // Per chosen position: its best colour and its swap (best ^ second, -1 for none)
  // as MUL row offsets; then each candidate's matches.
  const bestBase = new Int32Array(k)
  const swapBase = new Int32Array(k)
  const matches = new Float64Array(k + 1)
  // Per reliable position, one 256-entry table of both products of a row byte x:
  // best * x in the low byte, swap * x in the high one. 6 KiB that stay in L1
  // replace two reads of the 64 KiB MUL table per (row, position). Only the unrolled
  // 4-byte path reads them.
  const products = new Uint16Array(k === 4 ? m << 8 : 0)
  for (let o = 0; k === 4 && o < m; o++) {
    const p = order[o]
    const b = best[p] << 8
    const sw = secondN[p] === 0 ? 0 : (best[p] ^ second[p]) << 8
    for (let x = 0; x < 256; x++) products[(o << 8) | x] = MUL[b | x] | (MUL[sw | x] << 8)
  }
  const productAt = new Int32Array(k)
  // Every k-subset of the m reliable positions, in lexicographic order of indices.
  const idx = Int32Array.from({ length: k }, (_, i) => i)
  for (let more = m >= k; more; ) {
    for (let i = 0; i < k; i++) positions[i] = order[idx[i]]
    // Row i of the basis at R[rowAt[i]...], its message coefficients at C[coefAt[i]...].
    let R: Uint8Array = rows
    let C: Uint8Array = coef
    if (bases) {
      locateBasis(bases, code, positions, rows, coef, xs, rowAt, coefAt)
      R = bases.rows
      C = bases.coef
    } else {
      basisInto(code, positions, rows, coef, xs)
      for (let i = 0; i < k; i++) {
        rowAt[i] = i * n
        coefAt[i] = i * (k + 1)
      }
    }
    // The best colour at every chosen position, then the runner-up at one position
    // at a time (a second account in a mixed text surfaces once the first is peeled).
    // The code is linear: swapping position i's byte adds (best ^ second) * row i.
    for (let i = 0; i < k; i++) {
      const p = positions[i]
      productAt[i] = idx[i] << 8
      bestBase[i] = best[p] << 8
      swapBase[i] = secondN[p] === 0 ? -1 : (best[p] ^ second[p]) << 8
    }
    // One pass over the code's positions scores the k + 1 candidates together, each
    // summed in position order: the codeword byte of the best colours, then each
    // swap's. Each codeword byte is computed once instead of written and read back
    // per candidate.
    if (k === 4) scoreFour(counts, R, n, products, productAt, rowAt, matches)
    else {
      matches.fill(0)
      for (let q = 0; q < n; q++) {
        let c = 0
        for (let i = 0; i < k; i++) c ^= MUL[bestBase[i] | R[rowAt[i] + q]]
        const row = q * COLOURS
        matches[0] += counts[row + c]
        for (let i = 0; i < k; i++) if (swapBase[i] >= 0) matches[i + 1] += counts[row + (c ^ MUL[swapBase[i] | R[rowAt[i] + q]])]
      }
    }
    // Only a candidate that can still enter the list needs its account (from the k
    // message bytes, little-endian): once the list is full, nearly every candidate of
    // a text without the watermark falls below its last entry, and reading accounts
    // and looking them up was a third of the decode.
    let read = false
    for (let alt = -1; alt < k; alt++) {
      if (alt >= 0 && swapBase[alt] < 0) continue
      if (!top.mayEnter(matches[alt + 1])) continue
      if (!read) {
        msg0.fill(0)
        for (let i = 0; i < k; i++) {
          const c0 = coefAt[i]
          for (let j = 0; j < k; j++) msg0[j] ^= MUL[bestBase[i] | C[c0 + j]]
        }
        read = true
      }
      let account = 0
      if (alt >= 0) {
        const base = swapBase[alt]
        const c0 = coefAt[alt]
        for (let j = k - 1; j >= 0; j--) account = account * 256 + (msg0[j] ^ MUL[base | C[c0 + j]])
      } else for (let j = k - 1; j >= 0; j--) account = account * 256 + msg0[j]
      if (account < accounts) top.offer(account, matches[alt + 1])
    }
    let i = k - 1
    while (i >= 0 && idx[i] === m - k + i) i--
    if (i < 0) more = false
    else {
      idx[i]++
      for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1] + 1
    }
  }
  return top.list()
}

/**
 * The candidates' matches of one subset for 4-byte messages (every fingerprint of
 * 25 to 32 bits, the default's among them), unrolled: the general loop over the k
 * rows cost more than the table lookups. Row i's products come from
 * `products[productAt[i] | x]`; a missing swap's products are 0, so its sum is the
 * best colours' again and is not used.
 */
function scoreFour(counts: ArrayLike<number>, R: Uint8Array, n: number, products: Uint16Array, productAt: Int32Array, rowAt: Int32Array, matches: Float64Array): void {
  const t0 = productAt[0], t1 = productAt[1], t2 = productAt[2], t3 = productAt[3]
  const r0 = rowAt[0], r1 = rowAt[1], r2 = rowAt[2], r3 = rowAt[3]
  let m = 0, m0 = 0, m1 = 0, m2 = 0, m3 = 0
  for (let q = 0; q < n; q++) {
    const y0 = products[t0 | R[r0 + q]], y1 = products[t1 | R[r1 + q]], y2 = products[t2 | R[r2 + q]], y3 = products[t3 | R[r3 + q]]
    const c = (y0 ^ y1 ^ y2 ^ y3) & 0xff
    const row = q * COLOURS
    m += counts[row + c]
    m0 += counts[row + (c ^ (y0 >> 8))]
    m1 += counts[row + (c ^ (y1 >> 8))]
    m2 += counts[row + (c ^ (y2 >> 8))]
    m3 += counts[row + (c ^ (y3 >> 8))]
  }
  matches[0] = m
  matches[1] = m0
  matches[2] = m1
  matches[3] = m2
  matches[4] = m3
}

/**
 * The `limit` best distinct accounts offered, most matches first (ties: smaller
 * account first), kept sorted in typed arrays. A candidate met again (another
 * subset, the same codeword) has the same matches, summed in the same order, so
 * it meets its own entry and is not added twice; one that fell out of the list
 * ranks below its last entry and never comes back. So the list is the best
 * `limit` of all the accounts offered, without keeping the others.
 */
interface BestAccounts {
  /** Whether a candidate with these matches could enter the list (before its account is known). */
  mayEnter(matches: number): boolean
  offer(account: number, matches: number): void
  list(): FingerprintCandidate[]
}

function bestAccounts(limit: number): BestAccounts {
  // A long list (a caller asking for every candidate) is kept whole and sorted at
  // the end: inserting into a sorted array would cost its length per candidate.
  if (limit > 64) {
    const all = new Map<number, number>()
    return {
      mayEnter: () => true,
      offer: (account, matches) => void all.set(account, matches),
      list: () => topCandidates((visit) => all.forEach((matches, account) => visit(account, matches)), limit),
    }
  }
  const m = new Float64Array(limit)
  const a = new Float64Array(limit)
  let size = 0
  return {
    mayEnter: (matches) => size < limit || matches >= m[limit - 1],
    offer(account, matches) {
      // The first entry that ranks after the candidate (the list is short).
      let i = size
      while (i > 0 && (m[i - 1] < matches || (m[i - 1] === matches && a[i - 1] > account))) i--
      if (i > 0 && m[i - 1] === matches && a[i - 1] === account) return
      if (i === limit) return
      const end = Math.min(size, limit - 1)
      m.copyWithin(i + 1, i, end)
      a.copyWithin(i + 1, i, end)
      m[i] = matches
      a[i] = account
      if (size < limit) size++
    },
    list: () => Array.from({ length: size }, (_, i) => ({ account: a[i], matches: m[i] })),
  }
}

/** The `limit` best of the visited accounts, most matches first (ties: smaller account), without sorting them all. */
function topCandidates(forEach: (visit: (account: number, matches: number) => void) => void, limit: number): FingerprintCandidate[] {
  if (limit > 64) {
    const all: FingerprintCandidate[] = []
    forEach((account, matches) => all.push({ account, matches }))
    return all.sort((a, b) => b.matches - a.matches || a.account - b.account).slice(0, limit)
  }
  const before = (a: FingerprintCandidate, account: number, matches: number) => a.matches > matches || (a.matches === matches && a.account < account)
  const top: FingerprintCandidate[] = []
  forEach((account, matches) => {
    if (top.length === limit && before(top[limit - 1], account, matches)) return
    let i = Math.min(top.length, limit - 1)
    if (top.length < limit) top.push({ account, matches })
    // Insertion from the end: the list is short (16).
    while (i > 0 && !before(top[i - 1], account, matches)) {
      top[i] = top[i - 1]
      i--
    }
    top[i] = { account, matches }
  })
  return top
}

// Codewords of a registry, computed once per registry array and spec: a scan scores
// every document against the same registry.
const registryCodewords = new WeakMap<object, { spec: FingerprintSpec; words: Uint8Array[] }>()

function codewordsOf(f: FingerprintSpec, accounts: ArrayLike<number>): Uint8Array[] {
  const hit = registryCodewords.get(accounts as object)
  if (hit && hit.spec === f) return hit.words
  const code: RsCode = fingerprintCode(f)
  const words = Array.from({ length: accounts.length }, (_, i) => accountCodeword(f, accounts[i], code))
  registryCodewords.set(accounts as object, { spec: f, words })
  return words
}

/**
 * Scores every account of a registry (exhaustive maximum likelihood when the suspects
 * are known) and returns the best `limit` (default all), most votes first. A scan asks
 * for a few per document: selecting them costs far less than sorting a large registry.
 */
export function registryCandidates(f: FingerprintSpec, votes: FingerprintVotes, accounts: ArrayLike<number>, limit = accounts.length): FingerprintCandidate[] {
  const words = codewordsOf(f, accounts)
  const scores = new Map<number, number>()
  for (let i = 0; i < accounts.length; i++) scores.set(accounts[i], codewordMatches(votes.counts, words[i]))
  return topCandidates((visit) => scores.forEach((matches, account) => visit(account, matches)), Math.min(limit, scores.size))
}

/** Votes with one account's matching colours removed, to look for a second account. */
export function withoutAccount(f: FingerprintSpec, votes: FingerprintVotes, account: number): FingerprintVotes {
  const counts = votes.counts.slice()
  const cw = accountCodeword(f, account)
  for (let p = 0; p < cw.length; p++) counts[p * COLOURS + cw[p]] = 0
  return { ...votes, counts }
}
