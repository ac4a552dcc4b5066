/**
 * Context-sensitive repair of homoglyphs: Cyrillic "а" in "pаypal" becomes "a",
 * but the same "а" in a Russian sentence stays Cyrillic.
 *
 * What "otherwise Latin" means here. The text is cut into segments: maximal runs of
 * letters, marks and digits ("words"), and maximal runs of confusable punctuation
 * or spaces. Each word is classified from its non-confusable characters:
 *
 * - FOREIGN: it has a letter or digit of another script that is not in the table
 *   (Cyrillic п, и, т; Greek σ, λ; any Han, kana, Arabic…). Genuine non-Latin text:
 *   never touched, and it votes "foreign" for its neighbours.
 * - LATIN: otherwise, it has a real Latin letter (ASCII, or é, ß, ø…). The attacked
 *   word itself ("pаypal", "naïvе"): every confusable in it is repaired.
 * - AMBIGUOUS: nothing but confusables, digits and marks ("а", "ОК", "ｐａｙ", "𝐛𝐨𝐥𝐝").
 *   Confusable punctuation and space runs are always ambiguous.
 * - NEUTRAL: no letters and no confusables ("2024"): ignored.
 *
 * Consecutive ambiguous segments form a group, decided by the nearest decisive
 * (LATIN or FOREIGN) word on each side: repaired when the context is Latin, kept
 * when it is foreign; when the two sides disagree each segment follows the nearer
 * side, and a tie, like text with no decisive word at all, goes by the characters'
 * own nature: Latin presentation forms (fullwidth letters, math alphanumerics,
 * NBSP) are repaired, Cyrillic/Greek/Armenian letters and CJK punctuation are not.
 *
 * An ambiguous word that is a single "symbol" entry (α, ρ, ℝ, 𝔼, ℓ, 𝐱) or a pair of
 * math letters (𝑎𝑥) is "weak": notation, not an attack, and kept unless its group
 * also holds a stronger segment — as in a sentence set entirely in math bold, where
 * the lone "𝐚" goes with the rest. Inside a word with real Latin letters ("pαypal")
 * symbols are always repaired.
 */
import { HOMOGLYPHS, HOMOGLYPH_TEST, type Homoglyph } from './homoglyphs.js'

// Decisive classes of a word.
const LATIN = 1
const FOREIGN = 2

// Category of one code point, cached per code point (the segmentation runs over every
// character of non-ASCII text, so no regex or allocation per character or word):
// (0 in the cache means "not computed yet").
const CAT_OTHER = 1 // ends a segment: ASCII punctuation and space, symbols, emoji…
const CAT_NEUTRAL = 2 // word character that says nothing: digits, ⁿ, math Greek
const CAT_MARK = 3 // combining mark: neutral too, but a repaired letter may compose with it
const CAT_LATIN = 4 // Latin letter: A–Z, a–z, é, ß, ø…
const CAT_FOREIGN = 5 // letter or digit of another script, not in the table
const CAT_GLYPH = 6 // confusable letter or digit (in the table, not a separator)
const CAT_SEPARATOR = 7 // confusable punctuation or space

// Words are letters, marks, decimal digits and letter numbers (Ⅻ); every confusable
// that is not a separator is one of those, so it always lands inside a word. Letters
// of the Common/Inherited scripts (modifier letters, math Greek) and Latin modifier
// letters (ⁿ, ʰ) are neutral: they are notation, not words.
const WORD_CHAR = /^[\p{L}\p{M}\p{Nd}\p{Nl}]$/u
const LATIN_LETTER = /^[\p{Lu}\p{Ll}\p{Lt}]$/u
const LATIN_SCRIPT = /^\p{sc=Latin}$/u
const NOT_FOREIGN_SCRIPT = /^[\p{sc=Latin}\p{sc=Common}\p{sc=Inherited}]$/u
const LETTER_OR_DIGIT = /^[\p{L}\p{Nd}\p{Nl}]$/u
const MARK = /^\p{M}$/u

let categories: Uint8Array | undefined

function categorize(cp: number): number {
  const h = HOMOGLYPHS.get(cp)
  if (h) return h.separator ? CAT_SEPARATOR : CAT_GLYPH
  const s = String.fromCodePoint(cp)
  if (!WORD_CHAR.test(s)) return CAT_OTHER
  if (MARK.test(s)) return CAT_MARK
  if (LATIN_SCRIPT.test(s)) return LATIN_LETTER.test(s) ? CAT_LATIN : CAT_NEUTRAL
  if (LETTER_OR_DIGIT.test(s) && !NOT_FOREIGN_SCRIPT.test(s)) return CAT_FOREIGN
  return CAT_NEUTRAL
}

function initCategories(): Uint8Array {
  // 1.1 MB, filled lazily; ASCII up front (letters Latin, digits neutral, rest other).
  const c = new Uint8Array(0x110000)
  for (let u = 0; u < 0x80; u++) {
    const s = String.fromCharCode(u)
    c[u] = /[A-Za-z]/.test(s) ? CAT_LATIN : /[0-9]/.test(s) ? CAT_NEUTRAL : CAT_OTHER
  }
  return c
}

// Flags of a pending ambiguous segment, packed into one number.
const F_LATIN_FORM = 1
const F_WEAK = 2
const F_MARKS = 4

/**
 * Replace confusables with their Latin/ASCII originals where the surrounding text
 * is Latin, per the rules above. Returns `text` itself when nothing changes.
 *
 * With `compose`, the input is taken to be NFC already and the output is NFC too:
 * a repaired letter followed by a combining mark ("е\u0301" → "é") is composed. Only
 * repaired words that contain a mark are renormalized (marks are word characters, so
 * a mark that follows a repaired letter is always inside the same repaired word),
 * which is far cheaper than a second NFC pass over the whole text.
 */
export function foldHomoglyphs(text: string, compose = false): string {
  if (!HOMOGLYPH_TEST.test(text)) return text
  const cat = (categories ??= initCategories())

  // Scalars and reused arrays rather than an object per segment: on fully attacked
  // text every word is an edit and every space a pending segment.
  // Repaired ranges as (start, end, compose) triples, in increasing order.
  let edits = new Int32Array(96)
  let nEdits = 0
  const edit = (start: number, end: number, marks: boolean) => {
    if (nEdits + 3 > edits.length) {
      const grown = new Int32Array(edits.length * 2)
      grown.set(edits)
      edits = grown
    }
    edits[nEdits++] = start
    edits[nEdits++] = end
    edits[nEdits++] = compose && marks ? 1 : 0
  }
  let leftKind = 0 // 0 none, else LATIN / FOREIGN of the nearest decisive word on the left
  let leftAt = 0
  const gStart: number[] = []
  const gEnd: number[] = []
  const gFlags: number[] = []
  let gLen = 0

  // Decide the pending group of ambiguous segments, now that the decisive word on its
  // right (rightKind 0: end of text) is known.
  const resolve = (rightKind: number, rightAt: number) => {
    let strong = false
    let strongLatinForm = false
    for (let k = 0; k < gLen; k++) {
      if ((gFlags[k] & F_WEAK) === 0) {
        strong = true
        if (gFlags[k] & F_LATIN_FORM) strongLatinForm = true
      }
    }
    const latin = leftKind === LATIN || rightKind === LATIN
    const foreign = leftKind === FOREIGN || rightKind === FOREIGN
    for (let k = 0; k < gLen; k++) {
      const flags = gFlags[k]
      if (flags & F_WEAK && !strong) continue
      let repair: boolean
      if (latin && !foreign) repair = true
      else if (foreign && !latin) repair = false
      else if (latin && foreign) {
        const dl = gStart[k] - leftAt
        const dr = rightAt - gEnd[k]
        repair = dl === dr ? (flags & F_LATIN_FORM) !== 0 : (dl < dr ? leftKind : rightKind) === LATIN
      } else repair = strongLatinForm
      if (repair) edit(gStart[k], gEnd[k], (flags & F_MARKS) !== 0)
    }
    gLen = 0
  }

  const pend = (start: number, end: number, flags: number) => {
    gStart[gLen] = start
    gEnd[gLen] = end
    gFlags[gLen] = flags
    gLen++
  }

  // Current segment: 0 none, 1 word, 2 separator run.
  let seg = 0
  let segStart = 0
  let hasLatin = false
  let hasForeign = false
  let hasMark = false
  let confusables = 0
  let latinForm = true
  let symbolsOnly = true

  const close = (end: number) => {
    if (seg === 2) {
      pend(segStart, end, latinForm ? F_LATIN_FORM : 0)
    } else if (hasForeign || hasLatin) {
      const kind = hasForeign ? FOREIGN : LATIN
      if (gLen > 0) resolve(kind, segStart)
      if (kind === LATIN && confusables > 0) edit(segStart, end, hasMark)
      leftKind = kind
      leftAt = end
    } else if (confusables > 0) {
      // One symbol (α, ℝ, 𝑥) or a pair of math letters (𝑎𝑥, a product) is notation;
      // two Greek letters together ("ιτ") are not notation anyone writes in English.
      const weak = symbolsOnly && (confusables === 1 || (confusables === 2 && latinForm))
      pend(segStart, end, (latinForm ? F_LATIN_FORM : 0) | (weak ? F_WEAK : 0) | (hasMark ? F_MARKS : 0))
    }
    seg = 0
  }

  let wellFormed = true
  const n = text.length
  for (let i = 0; i < n; ) {
    let cp = text.charCodeAt(i)
    let len = 1
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const lo = cp <= 0xdbff && i + 1 < n ? text.charCodeAt(i + 1) : 0
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000
        len = 2
      } else wellFormed = false // a lone surrogate: kept as is, and categorized "other"
    }
    let c = cat[cp]
    if (c === 0) c = cat[cp] = categorize(cp)

    const want = c === CAT_OTHER ? 0 : c === CAT_SEPARATOR ? 2 : 1
    if (want !== seg) {
      if (seg !== 0) close(i)
      if (want !== 0) {
        seg = want
        segStart = i
        hasLatin = hasForeign = hasMark = false
        confusables = 0
        latinForm = symbolsOnly = true
      }
    }
    if (c === CAT_LATIN) hasLatin = true
    else if (c === CAT_FOREIGN) hasForeign = true
    else if (c === CAT_MARK) hasMark = true
    else if (c === CAT_GLYPH || c === CAT_SEPARATOR) {
      const h = HOMOGLYPHS.get(cp)!
      confusables++
      if (!h.latinForm) latinForm = false
      if (!h.symbol) symbolsOnly = false
    }
    i += len
  }
  if (seg !== 0) close(n)
  if (gLen > 0) resolve(0, n)

  if (nEdits === 0) return text
  return nEdits <= 3 * 256 ? applyFew(text, edits, nEdits) : applyMany(text, edits, nEdits, wellFormed)
}

/** Few edits (a handful of attacked words): slice and concatenate. */
function applyFew(text: string, edits: Int32Array, nEdits: number): string {
  let out = ''
  let pos = 0
  for (let k = 0; k < nEdits; k += 3) {
    out += text.slice(pos, edits[k]) + repairRange(text, edits[k], edits[k + 1], edits[k + 2] === 1)
    pos = edits[k + 1]
  }
  return out + text.slice(pos)
}

// ignoreBOM: a leading U+FEFF is text here (kept when `invisible` is off), not a BOM.
const utf16 = new TextDecoder('utf-16le', { ignoreBOM: true })

/**
 * Many edits (a fully attacked text): one pass into a UTF-16 buffer, decoded once.
 * Millions of small slices and a join cost far more (and stress the GC).
 */
function applyMany(text: string, edits: Int32Array, nEdits: number, wellFormed: boolean): string {
  // Every replacement is one UTF-16 unit except U+2029 → "\n\n" (from one unit) and
  // astral math letters (from two), so 2 units per input unit always suffice.
  const buf = new Uint16Array(text.length * 2)
  let w = 0
  let pos = 0
  for (let k = 0; k <= nEdits; k += 3) {
    const start = k < nEdits ? edits[k] : text.length
    for (let i = pos; i < start; i++) buf[w++] = text.charCodeAt(i)
    if (k === nEdits) break
    const end = edits[k + 1]
    pos = end
    if (edits[k + 2] === 1) {
      const repaired = repairRange(text, start, end, true)
      for (let j = 0; j < repaired.length; j++) buf[w++] = repaired.charCodeAt(j)
      continue
    }
    for (let i = start; i < end; ) {
      const cp = text.codePointAt(i)!
      const len = cp > 0xffff ? 2 : 1
      const h = cp >= 0x80 ? HOMOGLYPHS.get(cp) : undefined
      if (h) {
        for (let j = 0; j < h.to.length; j++) buf[w++] = h.to.charCodeAt(j)
      } else {
        buf[w++] = text.charCodeAt(i)
        if (len === 2) buf[w++] = text.charCodeAt(i + 1)
      }
      i += len
    }
  }
  if (wellFormed) return utf16.decode(buf.subarray(0, w))
  // TextDecoder would turn lone surrogates into U+FFFD; fromCharCode copies them.
  let out = ''
  for (let i = 0; i < w; i += 8192) out += String.fromCharCode(...buf.subarray(i, Math.min(w, i + 8192)))
  return out
}

function repairRange(text: string, start: number, end: number, compose: boolean): string {
  let out = ''
  let from = start // start of the pending run of unchanged characters
  for (let i = start; i < end; ) {
    const cp = text.codePointAt(i)!
    const len = cp > 0xffff ? 2 : 1
    const h: Homoglyph | undefined = cp >= 0x80 ? HOMOGLYPHS.get(cp) : undefined
    if (h) {
      out += text.slice(from, i) + h.to
      from = i + len
    }
    i += len
  }
  out += text.slice(from, end)
  return compose ? out.normalize('NFC') : out
}
