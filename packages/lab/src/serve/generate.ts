/**
 * Text for the server's responses: the tokenizer, and streamed text deltas that
 * never split a character. (The decoding loop itself is `generateTokens` in
 * ../generate.ts, shared with the rest of the lab.)
 */
import { getTokenizer } from '@tracemark/detector'

export const tokenizer = getTokenizer('cl100k_base')

/**
 * Turns token ids into text deltas whose concatenation is `decode(all ids)` (the
 * server's backend's decoder; default the n-gram model's cl100k_base). A token can
 * end in the middle of a UTF-8 character (decoded as a trailing U+FFFD): such tokens are
 * held back until the character completes, or until `flush()`.
 */
export function textStream(
  decode: (ids: number[]) => string = (ids) => tokenizer.decode(ids),
): { push(id: number): string; flush(): string } {
  let pending: number[] = []
  return {
    push(id) {
      pending.push(id)
      const text = decode(pending)
      if (text.endsWith('\uFFFD')) return ''
      pending = []
      return text
    },
    flush() {
      const text = pending.length ? decode(pending) : ''
      pending = []
      return text
    },
  }
}
