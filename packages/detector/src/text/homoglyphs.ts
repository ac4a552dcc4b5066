/**
 * The confusables table: non-ASCII characters that render like ASCII (or like a
 * plain Latin letter) and that evasion attacks swap in for the model's own
 * characters. Hand-picked rather than Unicode's confusables.txt, because that file
 * maps to *skeletons* (Cyrillic "І" → "l", "m" → "rn") for comparing two strings,
 * while we need the character the attacker replaced ("І" → "I"), and because many
 * of its entries (IPA letters, curly quotes, Hebrew vav) occur in legitimate model
 * output and must never be rewritten.
 *
 * Whether an entry is applied depends on its surroundings (see `fold-homoglyphs.ts`);
 * the flags below feed that decision.
 */

/** One confusable character and how to treat it. */
export interface Homoglyph {
  /** The replacement: ASCII, except a few Latin letters with a diacritic (ë, ï, ä, ö, ó). */
  readonly to: string
  /**
   * A presentation form of Latin itself (fullwidth, mathematical, letterlike, Roman
   * numeral, typographic space): with no script around it to say otherwise it is
   * read as Latin. Cyrillic, Greek, Armenian and Cherokee letters, fullwidth (CJK)
   * punctuation and the ideographic space are not: alone they stay what they are.
   */
  readonly latinForm: boolean
  /**
   * Legitimate as a lone symbol in English model output (α = 0.05, x ∈ ℝ, 𝔼[X], ℓ₂):
   * repaired inside a word that has Latin letters, or next to stronger evidence of
   * an attack, never on its own.
   */
  readonly symbol: boolean
  /** Punctuation or space rather than a letter or digit: forms segments of its own. */
  readonly separator: boolean
}

type Flags = Omit<Homoglyph, 'to'>

const LETTER: Flags = { latinForm: false, symbol: false, separator: false }
const SYMBOL_LETTER: Flags = { latinForm: false, symbol: true, separator: false }
const FORM: Flags = { latinForm: true, symbol: false, separator: false }
const FORM_SYMBOL: Flags = { latinForm: true, symbol: true, separator: false }
const SEPARATOR: Flags = { latinForm: true, symbol: false, separator: true }
const CJK_SEPARATOR: Flags = { latinForm: false, symbol: false, separator: true }

const table = new Map<number, Homoglyph>()

/** `pairs` is "<from><to>…" written as characters, read code point by code point. */
function addPairs(flags: Flags, pairs: string): void {
  const cps = Array.from(pairs)
  if (cps.length % 2 !== 0) throw new Error(`homoglyph pairs must come in twos: ${pairs}`)
  for (let i = 0; i < cps.length; i += 2) add(cps[i].codePointAt(0)!, cps[i + 1], flags)
}

function add(cp: number, to: string, flags: Flags): void {
  if (table.has(cp)) throw new Error(`duplicate homoglyph U+${cp.toString(16).toUpperCase()}`)
  table.set(cp, { to, ...flags })
}

// Cyrillic. Only letters whose usual glyph is the Latin one: lowercase к, м, н, т
// look like small capitals and г, п, ь only resemble r, n, b in some fonts, so they
// are left out. ё ї ӓ ӧ copy ë ï ä ö (an attack on "naïve" or German text).
addPairs(LETTER, 'аaеeоoрpсcуyхxѕsіiјjһhӏlԁdԛqԝwѵvүyёëїïӓäӧö')
addPairs(LETTER, 'АAВBЕEКKМMНHОOРPСCТTХXУYЅSІIЈJӀIԚQԜWҮYѴVԌGЁËЇÏӒÄӦÖ')

// Greek capitals and ο, ϲ, ϳ: identical to Latin, so never used on purpose in English.
addPairs(LETTER, 'ΑAΒBΕEΖZΗHΙIΚKΜMΝNΟOΡPΤTΥYΧXϹCͿJοoϲcϳjόóϊïΪÏ')
// Lowercase Greek that only resembles Latin and is everyday notation in English
// technical text (significance α, density ρ, time constant τ, Cohen's κ, frequency ν).
addPairs(SYMBOL_LETTER, 'αaγyιiκkνvρpτtυuχx')

// Armenian letters that are textbook homoglyphs (օ, ո, ս, հ, զ, ց; Ս, Տ, Օ).
addPairs(LETTER, 'օoոnսuհhզqցgՍUՏSՕO')

// Cherokee capitals, drawn from the Latin alphabet's shapes by design.
addPairs(
  LETTER,
  '\u13A0D\u13A1R\u13A2T\u13A5i\u13A9Y\u13AAA\u13ABJ\u13ACE\u13B3W\u13B7M\u13BBH\u13C0G\u13C3Z' +
    '\u13CFb\u13D9V\u13DAS\u13DEL\u13DFC\u13E2P\u13E6K\u13E7d\u13F4B',
)

// Fullwidth ASCII, U+FF01–FF5E → U+0021–007E. Letters and digits are Latin forms;
// the punctuation is ordinary Chinese/Japanese punctuation (，！？：（）), so it is
// kept unless the text around it is Latin.
for (let cp = 0xff01; cp <= 0xff5e; cp++) {
  const ascii = String.fromCharCode(cp - 0xff01 + 0x21)
  add(cp, ascii, /[A-Za-z0-9]/.test(ascii) ? FORM : CJK_SEPARATOR)
}

// Mathematical Alphanumeric Symbols, U+1D400–1D6A3: 13 styles × 52 letters (A–Z then
// a–z). The letters already encoded in Letterlike Symbols (ℎ, ℬ, ℝ, …) were left as
// reserved holes in this block; they are added with the letterlike entries below.
const MATH_LETTER_STYLES = [
  0x1d400, // bold
  0x1d434, // italic (h is ℎ U+210E)
  0x1d468, // bold italic
  0x1d49c, // script (B E F H I L M R e g o are in Letterlike Symbols)
  0x1d4d0, // bold script
  0x1d504, // fraktur (C H I R Z)
  0x1d538, // double-struck (C H N P Q R Z)
  0x1d56c, // bold fraktur
  0x1d5a0, // sans-serif
  0x1d5d4, // sans-serif bold
  0x1d608, // sans-serif italic
  0x1d63c, // sans-serif bold italic
  0x1d670, // monospace
]
const MATH_HOLES = new Set([
  0x1d455, 0x1d49d, 0x1d4a0, 0x1d4a1, 0x1d4a3, 0x1d4a4, 0x1d4a7, 0x1d4a8, 0x1d4ad, 0x1d4ba, 0x1d4bc,
  0x1d4c4, 0x1d506, 0x1d50b, 0x1d50c, 0x1d515, 0x1d51d, 0x1d53a, 0x1d53f, 0x1d545, 0x1d547, 0x1d548,
  0x1d549, 0x1d551,
])
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
for (const base of MATH_LETTER_STYLES) {
  for (let i = 0; i < 52; i++) {
    if (!MATH_HOLES.has(base + i)) add(base + i, LETTERS[i], FORM_SYMBOL)
  }
}
// Mathematical digits, U+1D7CE–1D7FF: bold, double-struck, sans-serif, sans-serif
// bold, monospace; 10 each. (The math Greek in between maps to Greek, not ASCII.)
for (let cp = 0x1d7ce; cp <= 0x1d7ff; cp++) add(cp, String((cp - 0x1d7ce) % 10), FORM_SYMBOL)

// Letterlike Symbols: the math-block holes plus ℓ, ℹ and the double-struck italics.
// (K U+212A, Å U+212B and Ω U+2126 need no entry: NFC already maps them to K, Å, Ω.)
addPairs(
  FORM_SYMBOL,
  'ℂCℊgℋHℌHℍHℎhℐIℑIℒLℓlℕNℙPℚQℛRℜRℝRℤZℨZℬBℭCℯeℰEℱFℳMℴoℹiⅅDⅆdⅇeⅈiⅉj',
)
// Single-letter Roman numerals (Ⅳ, Ⅻ… are several letters and are left alone).
addPairs(FORM_SYMBOL, 'ⅠIⅤVⅩXⅬLⅭCⅮDⅯMⅰiⅴvⅹxⅼlⅽcⅾdⅿm')

// Spaces. Swapping every space for NBSP re-tokenizes every word (" word" is one
// token, "\u00A0word" is two), so these are the cheapest attack of all.
for (const cp of [0x00a0, 0x1680, 0x202f, 0x205f]) add(cp, ' ', SEPARATOR)
for (let cp = 0x2000; cp <= 0x200a; cp++) add(cp, ' ', SEPARATOR)
add(0x2028, '\n', SEPARATOR) // LINE SEPARATOR: a line break
add(0x2029, '\n\n', SEPARATOR) // PARAGRAPH SEPARATOR: a paragraph break, "\n\n" in model text
add(0x3000, ' ', CJK_SEPARATOR) // ideographic space: normal in Japanese and Chinese text

// Punctuation lookalikes that no model writes. Deliberately absent: ‐ ‑ (U+2010/2011,
// which some models do emit), − minus, – —, curly quotes, ‚ „ (German quotes), ʼ
// (Ukrainian apostrophe), ː (IPA length): all legitimate output.
addPairs(SEPARATOR, '˗-․.⁄/∕/꞉:')
add(0x0589, ':', CJK_SEPARATOR) // Armenian full stop: Armenian punctuation, not a Latin form

/** Confusable code point → its repair. Built once at module load, read-only afterwards. */
export const HOMOGLYPHS: ReadonlyMap<number, Homoglyph> = table

function charClass(cps: Iterable<number>): string {
  const sorted = [...cps].sort((a, b) => a - b)
  let out = ''
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++
    out += j > i ? `\\u{${sorted[i].toString(16)}}-\\u{${sorted[j].toString(16)}}` : `\\u{${sorted[i].toString(16)}}`
    i = j + 1
  }
  return out
}

/** Matches any confusable: the cheap test that lets clean text skip the fold. */
export const HOMOGLYPH_TEST = new RegExp(`[${charClass(table.keys())}]`, 'u')
