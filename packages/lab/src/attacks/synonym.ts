/**
 * Synonym substitution with WordNet: replace round(strength × nWords) words by a synonym.
 *
 * A word is substitutable when its lowercase form is a WordNet lemma with single-word
 * synonyms (see wordnet.ts) and it is not a stopword. A plural or third-person "-s" form
 * whose stem is a lemma also qualifies, limited to synonyms that take a plain "-s"
 * ("cars" → "automobiles", but never "autos": "auto" would need a guess); other inflections ("-ed", "-ing") are skipped rather than guessed.
 * Stopwords are never produced either (their WordNet senses are odd: "one" → "i").
 * The synonym is drawn uniformly from the lemma's most frequent sense that has any (see
 * `SynonymEntry.preferred`), and written in the original's capitalisation.
 *
 * Capitalised words are only touched at a sentence start (elsewhere they are probably
 * names: "Grand Jury", "Atlanta"), and all-caps words only inside an all-caps run (a
 * headline) rather than alone (an acronym).
 */
import { STOPWORDS } from './lexicon.js'
import { countFor, createRng, pick, sampleIndices } from './rng.js'
import type { AttackResult } from './types.js'
import { applyCase, caseShape, findWords, isSentenceStart, replaceWords, type Word } from './words.js'
import { synonymMap } from './wordnet.js'

const LETTERS = /^[a-z]+$/
/** Synonyms that would need more than "+s" to inflect (box→boxes, city→cities, hero→heroes). */
const IRREGULAR_S = /(?:s|x|z|ch|sh|y|o)$/

/**
 * Candidate replacements for one lowercase word, already inflected, lowercase, and from
 * the lemma's preferred sense; [] when the word is not substitutable.
 */
export function substitutesFor(lower: string): string[] {
  if (!LETTERS.test(lower) || lower.length < 3 || STOPWORDS.has(lower)) return []
  const map = synonymMap()
  const e = map.get(lower)
  if (e) return e.all.slice(0, e.preferred).filter((w) => !STOPWORDS.has(w))
  if (lower.endsWith('s') && !lower.endsWith('ss')) {
    const stem = lower.slice(0, -1)
    const b = map.get(stem)
    if (b && !STOPWORDS.has(stem)) {
      return b.all
        .slice(0, b.preferred)
        .filter((w) => !IRREGULAR_S.test(w) && !STOPWORDS.has(w)) // "bears" must not become "haves"
        .map((w) => w + 's')
    }
  }
  return []
}

/** Whether the word at index i may be replaced, given its capitalisation and context. */
function caseAllows(text: string, words: readonly Word[], i: number): boolean {
  const shape = caseShape(words[i].text)
  if (shape === 'lower') return true
  if (shape === 'title') return isSentenceStart(text, words[i].start)
  if (shape === 'upper') return [words[i - 1], words[i + 1]].some((w) => w !== undefined && caseShape(w.text) === 'upper')
  return false
}

/**
 * Replace a `strength` fraction of the words of `text` by WordNet synonyms.
 *
 * @param strength fraction of all words to replace, in [0, 1]: round(strength × nWords),
 *   or every substitutable word if there are fewer.
 * @param seed selects the words and the synonyms.
 * @returns the text and `changed`, the number of words actually replaced. The word count
 *   is unchanged, so word i of the result is word i (or its replacement) of the input.
 */
export function substituteSynonyms(text: string, strength: number, seed: number): AttackResult {
  const words = findWords(text)
  const want = countFor(strength, words.length)
  if (want === 0) return { text, changed: 0 }
  const options = new Map<number, string[]>()
  for (let i = 0; i < words.length; i++) {
    if (!caseAllows(text, words, i)) continue
    const subs = substitutesFor(words[i].text.toLowerCase())
    if (subs.length > 0) options.set(i, subs)
  }
  const candidates = [...options.keys()]
  const rng = createRng(seed, 'synonym')
  const chosen = sampleIndices(rng, candidates.length, Math.min(want, candidates.length)).map((j) => candidates[j])
  const repl = new Map(chosen.map((i) => [i, applyCase(pick(rng, options.get(i)!), caseShape(words[i].text))]))
  return { text: replaceWords(text, words, (i) => repl.get(i)), changed: repl.size }
}
