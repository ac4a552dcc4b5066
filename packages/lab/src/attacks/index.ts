/**
 * Text attacks for evaluating watermark robustness. Each is a pure, deterministic
 * function of (text, strength, seed): strength in [0, 1] (0 = no change), seed feeding
 * a local sfc32 PRNG (never Math.random), so every evaluation run can be replayed.
 * Every attack returns `{ text, changed }`, `changed` counting the units it edited.
 *
 * `ATTACKS` lists them under one signature so the evaluation can loop over them. Two
 * entries need more than text: `copyPaste` takes the human text as `extra.humanText`,
 * and `emoji` is `needsGeneration` (see emoji.ts): its `apply` on finished text is the
 * identity, and the evaluation must generate with emojis and then call `emojiDelete`.
 */
import { copyPasteIntoHuman } from './copypaste.js'
import { deleteWords } from './delete.js'
import { emojiDelete, emojiInsert } from './emoji.js'
import { homoglyphAttack } from './homoglyph.js'
import { insertWords } from './insert.js'
import { substituteSynonyms } from './synonym.js'
import { truncate } from './truncate.js'
import type { AttackResult } from './types.js'
import { whitespaceCaseAttack } from './whitespace-case.js'
import { zeroWidthAttack } from './zerowidth.js'

export { copyPasteIntoHuman, type CopyPasteResult } from './copypaste.js'
export { deleteWords } from './delete.js'
export { EMOJIS, emojiDelete, emojiInsert } from './emoji.js'
export { HOMOGLYPHS, homoglyphAttack } from './homoglyph.js'
export { insertWords } from './insert.js'
export { COMMON_WORDS, STOPWORDS } from './lexicon.js'
export { createRng, type Rng } from './rng.js'
export { substituteSynonyms, substitutesFor } from './synonym.js'
export { truncate } from './truncate.js'
export type { AttackResult } from './types.js'
export { cycleCase, whitespaceCaseAttack } from './whitespace-case.js'
export { countWords, findWords, type Word } from './words.js'
export { synonymMap, synonymsOf, wordnetDir, type SynonymEntry } from './wordnet.js'
export { ZERO_WIDTH, zeroWidthAttack } from './zerowidth.js'

/** Registry keys. */
export type AttackName =
  | 'delete'
  | 'insert'
  | 'synonym'
  | 'copyPaste'
  | 'emoji'
  | 'homoglyph'
  | 'zeroWidth'
  | 'whitespaceCase'
  | 'truncate'

/** Inputs some attacks need beyond the text. */
export interface AttackExtra {
  /** Human-written text for `copyPaste` to paste the watermarked span into. */
  readonly humanText?: string
}

/** One registry entry. */
export interface Attack {
  readonly name: AttackName
  /** One line: what the attack does and what strength means for it. */
  readonly describe: string
  /** Requires `extra.humanText`. */
  readonly needsHumanText?: boolean
  /**
   * The attack acts during generation, not on finished text: `apply` is the identity and
   * the evaluation must run the generation-time procedure (see emoji.ts).
   */
  readonly needsGeneration?: boolean
  apply(text: string, strength: number, seed: number, extra?: AttackExtra): AttackResult
}

function humanText(extra: AttackExtra | undefined): string {
  if (extra?.humanText === undefined) throw new TypeError('the copyPaste attack needs extra.humanText')
  return extra.humanText
}

/** All attacks by name, in a stable order for reports. */
export const ATTACKS: Readonly<Record<AttackName, Attack>> = {
  delete: {
    name: 'delete',
    describe: 'delete round(strength × words) words chosen uniformly',
    apply: deleteWords,
  },
  insert: {
    name: 'insert',
    describe: 'insert round(strength × words) common English words at random word boundaries',
    apply: insertWords,
  },
  synonym: {
    name: 'synonym',
    describe: 'replace round(strength × words) words by WordNet synonyms (or all substitutable words if fewer)',
    apply: substituteSynonyms,
  },
  copyPaste: {
    name: 'copyPaste',
    describe: 'paste a span of the text into human text; strength = human share of the words',
    needsHumanText: true,
    apply: (text, strength, seed, extra) => copyPasteIntoHuman(text, humanText(extra), strength, seed),
  },
  emoji: {
    name: 'emoji',
    describe: 'emoji after strength × words during generation, deleted afterwards (identity on finished text)',
    needsGeneration: true,
    apply: (text, strength, seed) => {
      const inserted = emojiInsert(text, strength, seed)
      return { text: emojiDelete(inserted.text).text, changed: 0 }
    },
  },
  homoglyph: {
    name: 'homoglyph',
    describe: 'replace strength × mappable Latin letters by Cyrillic/Greek lookalikes',
    apply: homoglyphAttack,
  },
  zeroWidth: {
    name: 'zeroWidth',
    describe: 'insert a zero-width character after strength × characters',
    apply: zeroWidthAttack,
  },
  whitespaceCase: {
    name: 'whitespaceCase',
    describe: 're-case strength × words (lower→Title→UPPER→lower) and double or break strength × spaces',
    apply: whitespaceCaseAttack,
  },
  truncate: {
    name: 'truncate',
    describe: 'keep the first (1 − strength) × words (seed unused)',
    apply: (text, strength) => truncate(text, strength),
  },
}
