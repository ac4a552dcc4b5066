/**
 * Homoglyph attack: swap Latin letters for Cyrillic or Greek letters that render the
 * same ("a" → U+0430 "а"). Invisible to a reader, but every touched word tokenizes into
 * different, rarer tokens, which breaks token-level watermarks unless the detector folds
 * the lookalikes back (detector/src/text/homoglyphs.ts).
 */
import { countFor, createRng, pick, sampleIndices } from './rng.js'
import type { AttackResult } from './types.js'

/**
 * Latin letter → lookalikes whose usual glyph is identical to it: Cyrillic а е о р с у х
 * і ј ѕ һ ԁ ԛ ԝ and capitals, Greek capitals and ο. Letters with only loose lookalikes
 * (Cyrillic к, м, н, т as lowercase: small-capital shapes) are left out, as a careful
 * attacker would.
 */
export const HOMOGLYPHS: Readonly<Record<string, readonly string[]>> = {
  a: ['\u0430'], c: ['\u0441'], d: ['\u0501'], e: ['\u0435'], h: ['\u04bb'], i: ['\u0456'],
  j: ['\u0458'], o: ['\u043e', '\u03bf'], p: ['\u0440'], q: ['\u051b'], s: ['\u0455'],
  w: ['\u051d'], x: ['\u0445'], y: ['\u0443'],
  A: ['\u0410', '\u0391'], B: ['\u0412', '\u0392'], C: ['\u0421'], E: ['\u0415', '\u0395'],
  H: ['\u041d', '\u0397'], I: ['\u0406', '\u0399'], J: ['\u0408'], K: ['\u041a', '\u039a'],
  M: ['\u041c', '\u039c'], N: ['\u039d'], O: ['\u041e', '\u039f'], P: ['\u0420', '\u03a1'],
  S: ['\u0405'], T: ['\u0422', '\u03a4'], X: ['\u0425', '\u03a7'], Y: ['\u04ae', '\u03a5'],
  Z: ['\u0396'],
}

/**
 * Replace a `strength` fraction of the letters that have lookalikes.
 *
 * @param strength fraction of mappable letters (keys of `HOMOGLYPHS`) to replace, in
 *   [0, 1]: exactly round(strength × nMappable); 1 replaces every one.
 * @param seed selects the letters and, where there are several, the lookalike.
 * @returns the text and `changed`, the number of letters replaced.
 */
export function homoglyphAttack(text: string, strength: number, seed: number): AttackResult {
  const positions: number[] = []
  for (let i = 0; i < text.length; i++) if (Object.hasOwn(HOMOGLYPHS, text[i])) positions.push(i)
  const k = countFor(strength, positions.length)
  if (k === 0) return { text, changed: 0 }
  const rng = createRng(seed, 'homoglyph')
  const chars = text.split('') // mappable letters are BMP and lookalikes single UTF-16 units
  for (const j of sampleIndices(rng, positions.length, k)) chars[positions[j]] = pick(rng, HOMOGLYPHS[chars[positions[j]]])
  return { text: chars.join(''), changed: k }
}
