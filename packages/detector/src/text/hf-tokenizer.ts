import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers'
import { tokenizerIdCount, type TokenizerFile } from './hf-tokenizer-file.js'
import type { Tokenizer } from './tokenizer.js'

/**
 * A {@link Tokenizer} over a Hugging Face tokenizer.json, through
 * `@huggingface/tokenizers` (the tokenizer of transformers.js; see docs/tokenizers.md
 * for why this library).
 *
 * Special tokens (`added_tokens` with `special: true`: `<|begin_of_text|>`, `<s>`,
 * `<|im_start|>` ...) are dropped from the encoder, so their strings in suspect text
 * are ordinary text, as with tiktoken's `encode_ordinary`: a suspect cannot plant
 * control tokens, and a model's text never contains them as ids. Non-special added
 * tokens stay: the model's own tokenizer produces them from text. No BOS/EOS is
 * added. Decoding writes special ids as their strings and does not "clean up"
 * spaces before punctuation, so decode is the model's raw text.
 */
export function hfTokenizer(file: TokenizerFile, name: string): Tokenizer {
  const { json } = file
  const specials = new Map<number, string>()
  for (const a of json.added_tokens ?? []) if (a.special) specials.set(a.id, a.content)
  let lib: HfTokenizer
  try {
    lib = new HfTokenizer({ ...json, added_tokens: (json.added_tokens ?? []).filter((a) => !a.special) }, { clean_up_tokenization_spaces: false })
  } catch (e) {
    throw new Error(`${file.source}: the tokenizer library cannot build this tokenizer: ${(e as Error).message}`)
  }
  const decodeRun = (ids: number[]) => (ids.length === 0 ? '' : lib.decode(ids))
  return {
    name,
    backend: 'hf-tokenizers',
    sha256: file.sha256,
    vocabSize: tokenizerIdCount(json),
    encode: (text) => Uint32Array.from(lib.encode(text, { add_special_tokens: false }).ids),
    decode(ids) {
      let out = ''
      let run: number[] = []
      for (let i = 0; i < ids.length; i++) {
        const s = specials.get(ids[i])
        if (s === undefined) {
          run.push(ids[i])
          continue
        }
        out += decodeRun(run) + s
        run = []
      }
      return out + decodeRun(run)
    },
  }
}
