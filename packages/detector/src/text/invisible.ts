/**
 * Removal of invisible and format characters that an attacker inserts to split the
 * model's tokens ("wa\u200Btermark" tokenizes nothing like "watermark") while the
 * text looks unchanged.
 *
 * The rule: a character that renders as nothing goes, unless it is doing a job in
 * the text that a model legitimately writes — the joiner inside an emoji sequence,
 * the emoji presentation selector after an emoji, the tags of a subdivision flag,
 * ZWNJ in Persian, ZWJ in Indic conjuncts. Those exceptions are recognised from the
 * character before (and for ZWJ and keycaps, after) them, so inserting the same
 * character between Latin letters still removes it.
 */

// Always removed. None of these occur in plain model output:
// - U+00AD soft hyphen: a line-breaking hint, invisible mid-line.
// - U+034F combining grapheme joiner: only meaningful for collation/rendering edge cases.
// - U+061C, U+200E, U+200F, U+202A–202E, U+2066–2069: bidi marks, embeddings and
//   isolates; models write bidirectional text without explicit controls.
// - U+115F, U+1160, U+3164, U+FFA0: Hangul fillers; model Korean is precomposed
//   syllables, and U+3164 is a favourite "invisible letter".
// - U+17B4, U+17B5: Khmer inherent vowels, which Unicode says not to use.
// - U+200B zero width space, U+FEFF BOM / zero width no-break space.
// - U+2060–2064 word joiner and invisible math operators, U+2065 (reserved) and
//   U+206A–206F (deprecated format controls).
// - U+FFF9–FFFB interlinear annotation controls.
// - U+1BCA0–1BCA3 shorthand format controls, U+1D173–1D17A musical format controls.
// - U+E0000–E001F (language tag and reserved) and U+E0080–E00FF, U+E01F0–E0FFF:
//   default-ignorable, unassigned or deprecated; text never needs them.
const ALWAYS =
  '\\u00AD\\u034F\\u061C\\u115F\\u1160\\u17B4\\u17B5\\u200B\\u200E\\u200F\\u202A-\\u202E' +
  '\\u2060-\\u206F\\u3164\\uFEFF\\uFFA0\\uFFF9-\\uFFFB\\u{1BCA0}-\\u{1BCA3}\\u{1D173}-\\u{1D17A}' +
  '\\u{E0000}-\\u{E001F}\\u{E0080}-\\u{E00FF}\\u{E01F0}-\\u{E0FFF}'

const ALWAYS_RE = new RegExp(`[${ALWAYS}]`, 'gu')

// Kept or removed depending on the neighbours (see `keep`):
// U+200C ZWNJ, U+200D ZWJ, U+FE00–FE0F variation selectors, U+180B–180F Mongolian
// free variation selectors and vowel separator, U+E0100–E01EF ideographic variation
// selectors, and runs of tag characters U+E0020–E007F.
const CONTEXTUAL_RE = /[\u{E0020}-\u{E007F}]+|[\u200C\u200D\uFE00-\uFE0F\u180B-\u180F\u{E0100}-\u{E01EF}]/gu

/** Emoji that can start or continue a ZWJ sequence, or take VS15/VS16. */
const PICTOGRAPHIC = /^[\p{Extended_Pictographic}\p{Emoji}]$/u
/** Emoji skin-tone modifiers, which may sit between an emoji and its ZWJ. */
const EMOJI_MODIFIER = /^\p{Emoji_Modifier}$/u
// Scripts where ZWJ/ZWNJ are part of the spelling: Persian and Urdu word-internal
// ZWNJ, Syriac, N'Ko, Mongolian shaping, and conjunct/half-form control in the Indic
// and other Brahmic scripts. (Script_Extensions, so shared marks such as the Arabic
// harakat count too.)
const JOINING_SCRIPT =
  /^[\p{scx=Arabic}\p{scx=Syriac}\p{scx=Nko}\p{scx=Mongolian}\p{scx=Mandaic}\p{scx=Devanagari}\p{scx=Bengali}\p{scx=Gurmukhi}\p{scx=Gujarati}\p{scx=Oriya}\p{scx=Tamil}\p{scx=Telugu}\p{scx=Kannada}\p{scx=Malayalam}\p{scx=Sinhala}\p{scx=Khmer}\p{scx=Myanmar}\p{scx=Tibetan}]$/u
// Bases with standardized variation sequences for VS1–VS14 (StandardizedVariants.txt):
// math operators (≩︀), CJK compatibility ideographs and CJK punctuation positional
// forms, Myanmar, Phags-pa, Manichaean, Egyptian hieroglyphs.
const VS_BASE =
  /^[\p{Sm}\p{sc=Han}\p{sc=Myanmar}\p{sc=Phags_Pa}\p{sc=Manichaean}\p{sc=Egyptian_Hieroglyphs}\u3001\u3002\uFF01\uFF0C\uFF0E\uFF1A\uFF1B\uFF1F]$/u
const HAN = /^\p{sc=Han}$/u
const MONGOLIAN = /^\p{sc=Mongolian}$/u

const ch = (cp: number) => String.fromCodePoint(cp)

function isEmoji(cp: number): boolean {
  // \p{Emoji} also holds 0–9, # and *, which only count as keycap bases.
  return cp >= 0x80 && PICTOGRAPHIC.test(ch(cp))
}

/** Code point ending just before `index`, or -1 at the start of the text. */
function prevCodePoint(s: string, index: number): number {
  if (index <= 0) return -1
  const lo = s.charCodeAt(index - 1)
  if (lo >= 0xdc00 && lo <= 0xdfff && index >= 2) {
    const hi = s.charCodeAt(index - 2)
    if (hi >= 0xd800 && hi <= 0xdbff) return s.codePointAt(index - 2)!
  }
  return lo
}

/** Code point starting at `index`, or -1 at the end of the text. */
function nextCodePoint(s: string, index: number): number {
  return index < s.length ? s.codePointAt(index)! : -1
}

/** Whether the invisible `match` at `offset` in `s` is doing a legitimate job there. */
function keep(match: string, offset: number, s: string): boolean {
  const cp = match.codePointAt(0)!
  const prev = prevCodePoint(s, offset)
  if (prev < 0) return false
  if (cp >= 0xe0020 && cp <= 0xe007f) {
    // Emoji tag sequence (🏴 + tag letters/digits + CANCEL TAG), i.e. the England,
    // Scotland and Wales flags. Anything else is "ASCII smuggling" and goes.
    const last = match.codePointAt(match.length - 2)
    return prev === 0x1f3f4 && match.length >= 4 && last === 0xe007f && match.indexOf('\u{E007F}') === match.length - 2
  }
  const next = nextCodePoint(s, offset + match.length)
  switch (true) {
    case cp === 0x200d:
      // ZWJ in an emoji ZWJ sequence (👨‍👩‍👧, 🏳️‍🌈, 🏃🏽‍♀️), or in a joining script.
      if ((isEmoji(prev) || prev === 0xfe0f || EMOJI_MODIFIER.test(ch(prev))) && next >= 0 && isEmoji(next)) return true
      return JOINING_SCRIPT.test(ch(prev))
    case cp === 0x200c:
      return JOINING_SCRIPT.test(ch(prev))
    case cp === 0xfe0e || cp === 0xfe0f:
      // VS15/VS16 choose text/emoji presentation of an emoji (❤️, ☺️); on 0–9 # * they
      // are part of a keycap (1️⃣), which the following U+20E3 confirms.
      if (isEmoji(prev)) return true
      return (prev === 0x23 || prev === 0x2a || (prev >= 0x30 && prev <= 0x39)) && next === 0x20e3
    case cp >= 0xfe00 && cp <= 0xfe0d:
      return prev >= 0x80 && VS_BASE.test(ch(prev))
    case cp >= 0xe0100 && cp <= 0xe01ef:
      // Ideographic variation sequences select a glyph of a Han character.
      return HAN.test(ch(prev))
    case cp >= 0x180b && cp <= 0x180f:
      // Mongolian variation selectors and vowel separator are spelling in Mongolian.
      return MONGOLIAN.test(ch(prev))
    default:
      return false
  }
}

/**
 * Remove zero-width, bidi, tag and other invisible format characters, keeping those
 * that legitimately belong where they are (emoji ZWJ sequences and presentation
 * selectors, subdivision flags, ZWJ/ZWNJ in scripts that spell with them, variation
 * selectors on CJK, math and Mongolian bases). Returns `text` itself when nothing
 * is removed.
 */
export function stripInvisible(text: string): string {
  // Contextual characters first, while their neighbours are still the original ones:
  // "👨\u200B\u200D👩" is an attack on the sequence, and its ZWJ goes too.
  let removed = false
  let out = text.replace(CONTEXTUAL_RE, (match: string, offset: number, s: string) => {
    if (keep(match, offset, s)) return match
    removed = true
    return ''
  })
  if (!removed) out = text
  // A plain replace without a callback: fast even when every other character is a ZWSP.
  return out.replace(ALWAYS_RE, '')
}
