/**
 * Normalization of suspect text before tokenization. The watermark lives on the
 * model's own tokens, so the goal is to map attacked text back to what the model
 * wrote — and to leave what the model wrote exactly as it is, since every changed
 * character of clean text can change (and lose) tokens.
 */
import { foldHomoglyphs } from './fold-homoglyphs.js'
import { stripInvisible } from './invisible.js'

/** Which normalization steps {@link normalizeText} runs; omitted fields take {@link DEFAULT_NORMALIZE}. */
export type NormalizeOptions = {
  /** Canonical composition (NFC): "cafe\u0301" → "café". Default on. */
  nfc?: boolean
  /** Remove zero-width, bidi, tag and other invisible format characters. Default on. */
  invisible?: boolean
  /** Repair Cyrillic/Greek/fullwidth/math lookalikes and exotic spaces in Latin text. Default on. */
  homoglyphs?: boolean
  /** Collapse runs of spaces and tabs to one space. Default off: it alters clean text. */
  whitespace?: boolean
}

/**
 * The defaults: every step that is the identity on ordinary model output is on;
 * whitespace collapsing, which rewrites code indentation and intentional double
 * spaces in clean text, is off.
 */
export const DEFAULT_NORMALIZE: Readonly<Required<NormalizeOptions>> = Object.freeze({
  nfc: true,
  invisible: true,
  homoglyphs: true,
  whitespace: false,
})

const NON_ASCII = /[^\x00-\x7f]/
const BLANK_RUN = /[ \t]{2,}|\t/g

/**
 * Normalize suspect text so that cheap evasion attacks (zero-width characters,
 * homoglyphs, odd Unicode forms) do not hide a watermark, in this order:
 *
 * 1. `invisible`: strip invisible characters first, so "e\u200B\u0301" composes and
 *    "p\u200Bаypal" is one word for the homoglyph step.
 * 2. `nfc`: canonical composition. NFC and not NFKC: NFKC would also rewrite
 *    characters a model legitimately writes — ligatures (ﬁ), superscripts (x², ⁿ),
 *    subscripts, fractions (½), ℝ and 𝔼 in math, fullwidth CJK punctuation, "…" to
 *    "..." — and so change the tokens of unattacked text. The lookalikes worth undoing
 *    are handled by the context-aware homoglyph step instead.
 * 3. `homoglyphs`: repair lookalikes where the surrounding text is Latin; with `nfc`
 *    a repaired base letter is composed with a following combining mark.
 * 4. `whitespace`: collapse runs of spaces/tabs (off by default).
 *
 * Pure-ASCII input skips steps 1–3 without copying: NFC of ASCII is ASCII and none
 * of the characters those steps touch is ASCII.
 */
export function normalizeText(text: string, options?: NormalizeOptions): string {
  const nfc = options?.nfc ?? DEFAULT_NORMALIZE.nfc
  const invisible = options?.invisible ?? DEFAULT_NORMALIZE.invisible
  const homoglyphs = options?.homoglyphs ?? DEFAULT_NORMALIZE.homoglyphs
  const whitespace = options?.whitespace ?? DEFAULT_NORMALIZE.whitespace

  let out = text
  if (NON_ASCII.test(out)) {
    if (invisible) out = stripInvisible(out)
    if (nfc) out = out.normalize('NFC')
    if (homoglyphs) out = foldHomoglyphs(out, nfc)
  }
  if (whitespace) out = out.replace(BLANK_RUN, ' ')
  return out
}
