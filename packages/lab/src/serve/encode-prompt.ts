/**
 * Tokenizes a prompt without holding the event loop: a 1 MB prompt takes a second or
 * more to encode even at linear cost, and other clients must be answered meanwhile.
 *
 * The prompt is encoded in slices of about {@link SLICE} characters, yielding between
 * slices. Slices are cut only where the ids cannot change, so the result is exactly
 * `tok.encode(text)`:
 * - before a space that sits between two letters ("word| word"): in cl100k_base and
 *   o200k_base a letter run ends at the space and the space starts the next pre-token
 *   (" word"), so no pre-token crosses the cut;
 * - at the bounded encoder's own cuts inside over-long runs (`runCuts`), where it encodes
 *   the pieces separately anyway.
 */
import { concatIds, runCuts } from '../../../detector/src/text/bounded-runs.js'

/** Characters per slice: a few milliseconds of encoding each. */
export const SLICE = 16_384

const LETTER = /\p{L}/u
const isLetter = (text: string, i: number) => i >= 0 && i < text.length && LETTER.test(text[i])

/** Offsets at which `text` may be cut without changing its ids, about `slice` apart (ascending). */
export function safeCuts(text: string, slice: number = SLICE): number[] {
  const runs = runCuts(text)
  const cuts: number[] = []
  let from = 0
  let r = 0
  while (text.length - from > slice) {
    // The first safe offset at or after from + slice: a run cut or a letter-space-letter gap.
    let at = -1
    for (let i = from + slice; i < text.length; i++) {
      while (r < runs.length && runs[r] < i) r++
      if (runs[r] === i || (text.charCodeAt(i) === 0x20 && isLetter(text, i - 1) && isLetter(text, i + 1))) {
        at = i
        break
      }
    }
    if (at < 0) break
    cuts.push(at)
    from = at
  }
  return cuts
}

/** `tok.encode(text)`, computed slice by slice with `pause()` awaited between slices. */
export async function encodeYielding(
  tok: { encode(text: string): Uint32Array },
  text: string,
  pause: () => Promise<void>,
  slice: number = SLICE,
): Promise<Uint32Array> {
  const cuts = safeCuts(text, slice)
  if (cuts.length === 0) return tok.encode(text)
  const parts: Uint32Array[] = []
  let from = 0
  for (const at of [...cuts, text.length]) {
    parts.push(tok.encode(text.slice(from, at)))
    from = at
    await pause()
  }
  return concatIds(parts)
}
