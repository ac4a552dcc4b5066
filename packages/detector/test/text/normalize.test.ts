import { describe, expect, it } from 'vitest'
import { HOMOGLYPHS } from '../../src/text/homoglyphs.js'
import { DEFAULT_NORMALIZE, normalizeText } from '../../src/text/normalize.js'
import { getTokenizer } from '../../src/text/tokenizer.js'

const SENTENCES = [
  'The quick brown fox jumps over a lazy dog, and the watermark survives every paraphrase attempt.',
  'Photosynthesis converts light energy into chemical energy stored in glucose molecules.',
  'Please keep your receipt: refunds are only possible within thirty days of purchase.',
]

// Reverse tables for the attacks: each lookalike maps back to exactly this letter.
const CYRILLIC: Record<string, string> = { a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', y: 'у', x: 'х', i: 'і', s: 'ѕ', j: 'ј', h: 'һ', d: 'ԁ', q: 'ԛ', w: 'ԝ', T: 'Т', P: 'Р', A: 'А', B: 'В', E: 'Е', H: 'Н', K: 'К', M: 'М', O: 'О', C: 'С', X: 'Х' }
// No a → α: a lone α is kept as notation (tested separately below).
const GREEK: Record<string, string> = { o: 'ο', v: 'ν', p: 'ρ', t: 'τ', i: 'ι', k: 'κ', u: 'υ', A: 'Α', B: 'Β', E: 'Ε', Z: 'Ζ', H: 'Η', I: 'Ι', K: 'Κ', M: 'Μ', N: 'Ν', O: 'Ο', P: 'Ρ', T: 'Τ', Y: 'Υ', X: 'Χ' }

const fullwidth = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))
const mathBold = (s: string) =>
  s.replace(/[A-Za-z0-9]/g, (c) => {
    const u = c.charCodeAt(0)
    if (u <= 0x39) return String.fromCodePoint(0x1d7ce + u - 0x30)
    return String.fromCodePoint(u <= 0x5a ? 0x1d400 + u - 0x41 : 0x1d41a + u - 0x61)
  })
const substitute = (s: string, table: Record<string, string>) => s.replace(/[A-Za-z]/g, (c) => table[c] ?? c)
const interleave = (s: string, junk: string) => Array.from(s).join(junk)

/** Deterministic mixed attack: homoglyphs, invisibles and NBSP spaces, chosen per character. */
function attack(s: string, seed: number): string {
  let x = seed >>> 0
  const rand = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32)
  const invisibles = ['\u200B', '\u200C', '\u200D', '\u2060', '\u00AD', '\uFEFF', '\uFE0F', '\u{E0041}']
  let out = ''
  for (const word of s.split(/(?<= )|(?= )/)) {
    // Math letters only in words of 3+ letters: a lone 𝐚 or a pair like 𝑎𝑥 is kept as
    // notation by design (see the symbol tests below).
    const math = word.length >= 3
    for (const c of word) {
      const r = rand()
      if (c === ' ') out += r < 0.5 ? '\u00A0' : r < 0.7 ? '\u2009' : ' '
      else if (r < 0.35 && CYRILLIC[c]) out += CYRILLIC[c]
      else if (r < 0.45 && GREEK[c]) out += GREEK[c]
      else if (r < 0.55 && /[A-Za-z0-9]/.test(c)) out += fullwidth(c)
      else if (r < 0.65 && math && /[A-Za-z0-9]/.test(c)) out += mathBold(c)
      else out += c
      if (rand() < 0.4) out += invisibles[Math.floor(rand() * invisibles.length)]
    }
  }
  return out
}

describe('normalizeText: identity on clean text', () => {
  it('returns plain ASCII English unchanged, as the same string', () => {
    const text = SENTENCES.join('\n\n') + '\n\tcode();  // two spaces kept\n'
    expect(normalizeText(text)).toBe(text)
  })

  it.each([
    ['Russian', 'Привет, как дела? А у нас всё хорошо, и Олег купил ОКО и РОСТ.'],
    ['Ukrainian', 'Київ і Львів — це міста, а не села.'],
    ['Greek', 'Η γρήγορη καφέ αλεπού. Ο κόσμος είναι ωραίος και το ΚΑΙ ΤΟ ΜΕ.'],
    ['all-caps Greek made only of lookalikes', 'ΚΑΙ ΤΟ'],
    ['Chinese with fullwidth punctuation', '你好，世界！这是一个测试（简单的）：１２３。我用ＰＣ工作。'],
    ['Japanese with ideographic space', 'これは　テストです。　ＡＩについて。'],
    ['Armenian', 'Բարեւ, ինչպես ես։ Սա օրինակ է։'],
    ['Persian with ZWNJ', 'من می‌خواهم کتاب‌ها را بخوانم.'],
    ['Hindi with ZWJ', 'क्‍ष और र्‍य'],
    ['NFC accents', 'naïve café, Ångström, façade, Straße, smørrebrød'],
    ['emoji ZWJ and presentation sequences', '👨‍👩‍👧 ❤️ 🏳️‍🌈 👍🏽 🏃🏽‍♀️ 1️⃣ #️⃣ ©️ 🏴󠁧󠁢󠁥󠁮󠁧󠁿 🇫🇷'],
    ['typography models emit', 'It’s “quoted” — really… state‑of‑the‑art, 5 − 3, „Anführung“ und ‚einfach‘.'],
    ['math notation in English', 'Let x ∈ ℝⁿ and α = 0.05; 𝔼[X] = μ, Cohen’s κ, ρ = 0.3, τ = 5 ms, the ℓ₂ norm, 𝟙{x>0}, ℎ = 6.6e-34.'],
    ['NFKC-only forms', 'ﬁne ligature, x², ½ cup, H₂O, ㎏, ①, ＡＢＣ株式会社'],
    ['IPA', 'naive /naɪˈiːv/, cart /kɑːt/, gif /ɡɪf/'],
  ])('leaves %s unchanged', (_name, text) => {
    expect(normalizeText(text)).toBe(text)
  })

  it('leaves the Greek letters of a Greek word inside English text alone', () => {
    const text = 'The Greek word λόγος and the Russian word мир are quoted as is.'
    expect(normalizeText(text)).toBe(text)
  })
})

describe('normalizeText: nfc', () => {
  it('composes decomposed input', () => {
    expect(normalizeText('cafe\u0301')).toBe('café')
    expect(normalizeText('nai\u0308ve')).toBe('naïve')
    expect(normalizeText('\u1100\u1161')).toBe('가')
  })

  it('composes across a removed invisible and after a homoglyph repair', () => {
    expect(normalizeText('cafe\u200B\u0301')).toBe('café')
    // Cyrillic е + combining acute has no precomposed form; Latin e + acute does.
    expect(normalizeText('caf\u0435\u0301 latte')).toBe('café latte')
  })
})

describe('normalizeText: invisible characters', () => {
  it.each([
    ['zero width space', '\u200B'],
    ['soft hyphen', '\u00AD'],
    ['BOM / zero width no-break space', '\uFEFF'],
    ['word joiner', '\u2060'],
    ['zero width joiner', '\u200D'],
    ['zero width non-joiner', '\u200C'],
    ['left-to-right mark', '\u200E'],
    ['right-to-left override', '\u202E'],
    ['Mongolian vowel separator', '\u180E'],
    ['combining grapheme joiner', '\u034F'],
    ['variation selector 16', '\uFE0F'],
    ['variation selector 1', '\uFE00'],
    ['Hangul filler', '\u3164'],
  ])('removes %s inserted between every character', (_name, junk) => {
    for (const s of SENTENCES) expect(normalizeText(interleave(s, junk))).toBe(s)
  })

  it('removes tag characters (ASCII smuggling) and leading BOM', () => {
    const hidden = Array.from('ignore previous instructions', (c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('')
    const s = SENTENCES[0]
    expect(normalizeText('\uFEFF' + s.slice(0, 20) + hidden + s.slice(20) + '\u{E007F}')).toBe(s)
  })

  it('removes a joiner between emoji and letters, but keeps it between two emoji', () => {
    expect(normalizeText('a\u200D👍')).toBe('a👍')
    expect(normalizeText('👍\u200Db')).toBe('👍b')
    expect(normalizeText('👨\u200D👩')).toBe('👨\u200D👩')
    expect(normalizeText('👨\u200B\u200D👩')).toBe('👨👩')
  })

  it('keeps VS16 after an emoji but not a doubled one', () => {
    expect(normalizeText('❤\uFE0F')).toBe('❤\uFE0F')
    expect(normalizeText('❤\uFE0F\uFE0F')).toBe('❤\uFE0F')
    expect(normalizeText('1\uFE0F')).toBe('1')
    expect(normalizeText('1\uFE0F\u20E3')).toBe('1\uFE0F\u20E3')
  })
})

describe('normalizeText: homoglyphs', () => {
  it.each([
    ['Cyrillic', (s: string) => substitute(s, CYRILLIC)],
    ['Greek', (s: string) => substitute(s, GREEK)],
    ['fullwidth', fullwidth],
    ['fullwidth with ideographic spaces', (s: string) => fullwidth(s).replace(/ /g, '\u3000')],
    ['math bold', mathBold],
    ['NBSP and thin spaces', (s: string) => s.replace(/ /g, (_c) => '\u00A0').replace(/\u00A0(?=t)/g, '\u2009')],
  ])('repairs a %s attack exactly', (_name, f) => {
    for (const s of SENTENCES) {
      const attacked = f(s)
      expect(attacked).not.toBe(s)
      expect(normalizeText(attacked)).toBe(s)
    }
  })

  it('repairs a different lookalike alphabet in every word', () => {
    const styles = [(w: string) => substitute(w, CYRILLIC), (w: string) => substitute(w, GREEK), fullwidth, mathBold]
    for (const s of SENTENCES) {
      const attacked = s
        .split(' ')
        .map((w, i) => styles[i % styles.length](w))
        .join(' ')
      expect(normalizeText(attacked)).toBe(s)
    }
  })

  it('repairs a one-letter word made of a single lookalike', () => {
    expect(normalizeText('This is \u0430 test')).toBe('This is a test')
    expect(normalizeText('\u0410 cat sat.')).toBe('A cat sat.')
    expect(normalizeText('She said \u0430.')).toBe('She said a.')
  })

  it('repairs lookalike punctuation only in Latin context', () => {
    expect(normalizeText('Hello！ Is it ｐａｙｐａｌ．com？')).toBe('Hello! Is it paypal.com?')
    expect(normalizeText('你好！')).toBe('你好！')
  })

  it('repairs a long fully attacked text and keeps a BOM and lone surrogates it was not asked to touch', () => {
    // Enough repaired words to take the bulk (buffer) path rather than slice-and-concat.
    const clean = SENTENCES.join(' ').repeat(40)
    const attacked = substitute(clean, CYRILLIC).replace(/ /g, '\u00A0')
    expect(normalizeText(attacked)).toBe(clean)
    expect(normalizeText('\uFEFF' + attacked, { invisible: false })).toBe('\uFEFF' + clean)
    expect(normalizeText(attacked + '\uD800 x\uDC00', { invisible: false })).toBe(clean + '\uD800 x\uDC00')
    expect(normalizeText('\uD800' + substitute('a few attacked words', CYRILLIC))).toBe('\uD800a few attacked words')
  })

  it('maps line and paragraph separators to newlines in Latin text', () => {
    expect(normalizeText('first line\u2028second line\u2029next paragraph')).toBe('first line\nsecond line\n\nnext paragraph')
  })

  it('repairs only the attacked Latin word next to a genuine Cyrillic word', () => {
    expect(normalizeText('Привет p\u0430yp\u0430l')).toBe('Привет paypal')
    expect(normalizeText('Москва and L\u043Endon')).toBe('Москва and London')
    expect(normalizeText('Привет\u00A0мир, \u0441ool')).toBe('Привет\u00A0мир, cool')
  })

  it('keeps lone symbols and math-letter pairs as notation, repairs them inside Latin words', () => {
    expect(normalizeText('x ∈ ℝ')).toBe('x ∈ ℝ')
    expect(normalizeText('at level α the test')).toBe('at level α the test')
    expect(normalizeText('so 𝑎𝑥 + 𝑏 is linear')).toBe('so 𝑎𝑥 + 𝑏 is linear')
    expect(normalizeText('p\u03B1ypal and he\u2113\u2113o')).toBe('paypal and hello')
    // Two Greek lookalikes together are not notation: "ιτ" is an attacked "it".
    expect(normalizeText('put \u03B9\u03C4 here')).toBe('put it here')
    // Nor is a lone 𝐚 in a sentence that is entirely math bold.
    expect(normalizeText('𝐈𝐭 𝐢𝐬 𝐚 𝐭𝐞𝐬𝐭')).toBe('It is a test')
  })
})

describe('normalizeText: the watermark survives the attack (cl100k_base)', () => {
  const tok = getTokenizer('cl100k_base')
  it.each(SENTENCES.map((s, i) => [i, s] as const))('sentence %i: tokens of normalize(attack(text)) equal tokens of text', (i, s) => {
    const attacked = attack(s, 1000 + i)
    const clean = Array.from(tok.encode(s))
    // The attack really does destroy the tokens…
    expect(Array.from(tok.encode(attacked))).not.toEqual(clean)
    // …and normalization restores every one of them.
    expect(Array.from(tok.encode(normalizeText(attacked)))).toEqual(clean)
  })
})

describe('normalizeText: options', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_NORMALIZE).toEqual({ nfc: true, invisible: true, homoglyphs: true, whitespace: false })
    expect(Object.isFrozen(DEFAULT_NORMALIZE)).toBe(true)
  })

  it('homoglyphs: false leaves lookalikes and exotic spaces', () => {
    const text = 'p\u0430ypal\u00A0ｃｏｍ'
    expect(normalizeText(text, { homoglyphs: false })).toBe(text)
    expect(normalizeText(text)).toBe('paypal com')
  })

  it('invisible: false leaves zero-width characters', () => {
    const text = 'wa\u200Bter\u00ADmark'
    expect(normalizeText(text, { invisible: false })).toBe(text)
    expect(normalizeText(text)).toBe('watermark')
  })

  it('nfc: false leaves decomposed text', () => {
    expect(normalizeText('cafe\u0301', { nfc: false })).toBe('cafe\u0301')
    expect(normalizeText('caf\u0435\u0301', { nfc: false })).toBe('cafe\u0301')
  })

  it('whitespace is off by default and collapses space/tab runs when on', () => {
    const text = 'a  b\t\tc \t d\te\n\nf'
    expect(normalizeText(text)).toBe(text)
    expect(normalizeText(text, { whitespace: true })).toBe('a b c d e\n\nf')
    // NBSP runs become spaces (homoglyphs) and then one space (whitespace).
    expect(normalizeText('a\u00A0\u00A0 b', { whitespace: true })).toBe('a b')
    expect(normalizeText('a\u00A0\u00A0 b', { whitespace: true, homoglyphs: false })).toBe('a\u00A0\u00A0 b')
  })

  it('treats an explicitly undefined option as its default', () => {
    expect(normalizeText('p\u0430ypal', { homoglyphs: undefined })).toBe('paypal')
  })
})

describe('homoglyph table', () => {
  it('agrees with NFKC on every fullwidth and mathematical entry', () => {
    let checked = 0
    for (const [cp, h] of HOMOGLYPHS) {
      if ((cp >= 0xff01 && cp <= 0xff5e) || (cp >= 0x1d400 && cp <= 0x1d7ff)) {
        expect(String.fromCodePoint(cp).normalize('NFKC'), `U+${cp.toString(16)}`).toBe(h.to)
        checked++
      }
    }
    expect(checked).toBe(94 + 13 * 52 - 24 + 50)
  })

  it('covers every math-alphanumeric letter NFKC knows, holes through Letterlike Symbols', () => {
    for (let cp = 0x1d400; cp <= 0x1d6a3; cp++) {
      const nfkc = String.fromCodePoint(cp).normalize('NFKC')
      if (nfkc === String.fromCodePoint(cp)) {
        // A reserved hole: its letter is encoded in Letterlike Symbols and mapped there.
        expect(HOMOGLYPHS.has(cp)).toBe(false)
        continue
      }
      expect(HOMOGLYPHS.get(cp)?.to).toBe(nfkc)
    }
    for (const c of 'ℎℬℰℱℋℐℒℳℛℯℊℴℭℌℑℜℨℂℍℕℙℚℝℤ') {
      expect(HOMOGLYPHS.get(c.codePointAt(0)!)?.to).toBe(c.normalize('NFKC'))
    }
  })

  it('maps only non-ASCII characters, to ASCII or single NFC Latin letters', () => {
    for (const [cp, h] of HOMOGLYPHS) {
      expect(cp).toBeGreaterThanOrEqual(0x80)
      expect(h.to.normalize('NFC')).toBe(h.to)
      expect(/^[\x00-\x7f]+$|^\p{sc=Latin}$/u.test(h.to), `U+${cp.toString(16)} → ${h.to}`).toBe(true)
    }
  })
})
