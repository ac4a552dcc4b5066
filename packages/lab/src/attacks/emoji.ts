/**
 * The emoji attack (Kirchenbauer et al., 2023, "A Watermark for Large Language Models",
 * §7): the adversary tells the model "put an emoji after every word", then deletes the
 * emojis. The final text looks like plain model output, yet every token was sampled with
 * an emoji in its context window, so context-seeded watermarks (green lists, Gumbel keys
 * hashed from the previous tokens) seeded each choice on tokens that are no longer there,
 * and the detector recomputes the wrong seeds.
 *
 * That damage happens at generation time, so it cannot be reproduced by editing finished
 * text: `emojiDelete(emojiInsert(t))` is exactly `t`. How the lab runs it:
 *   1. Generate watermarked text while simulating the instruction: after each completed
 *      word, with probability `strength` (from a seeded PRNG), append " " + an emoji from
 *      `EMOJIS` to the output as ordinary tokens, so the watermark's next context sees it.
 *   2. Strip the emojis with `emojiDelete` and run detection on what is left.
 * `emojiInsert` produces the same surface form from finished text (fixtures, and the
 * round-trip test that keeps `emojiDelete` honest). The registry marks this attack
 * `needsGeneration`.
 */
import { countFor, createRng, pick, sampleIndices } from './rng.js'
import type { AttackResult } from './types.js'
import { findWords } from './words.js'

/**
 * Emojis used by the attack: single code points, no variation selectors or joiners, so
 * each is one unit to insert and find (and none is a letter, so word counts are unchanged).
 */
export const EMOJIS: readonly string[] = Array.from('😀😂😊😍🤔😎👍🙏🎉🔥✨🚀🌟💡🌈🍀🎈🐱🐶🌻')

const EMOJI_RE = new RegExp(` ?(?:${EMOJIS.join('|')})`, 'gu')

/**
 * Put " " + an emoji right after round(strength × nWords) words (before any punctuation
 * glued to the word: "word 🎉,").
 *
 * @param strength fraction of words followed by an emoji, in [0, 1].
 * @param seed selects the words and the emojis.
 * @returns the text and `changed`, the number of emojis inserted.
 */
export function emojiInsert(text: string, strength: number, seed: number): AttackResult {
  const words = findWords(text)
  const k = countFor(strength, words.length)
  const rng = createRng(seed, 'emoji')
  let out = ''
  let pos = 0
  for (const i of sampleIndices(rng, words.length, k)) {
    out += text.slice(pos, words[i].end) + ' ' + pick(rng, EMOJIS)
    pos = words[i].end
  }
  return { text: out + text.slice(pos), changed: k }
}

/**
 * Remove every emoji of `EMOJIS` together with one space before it. The exact inverse of
 * `emojiInsert` on text that had none of these emojis to begin with.
 *
 * @returns the text and `changed`, the number of emojis removed.
 */
export function emojiDelete(text: string): AttackResult {
  let changed = 0
  const out = text.replace(EMOJI_RE, () => {
    changed++
    return ''
  })
  return { text: out, changed }
}
