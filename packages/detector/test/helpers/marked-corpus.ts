/**
 * A small JSONL corpus for scan tests: kgw-watermarked documents, unrelated
 * text and bad lines in a fixed order. Fixed secrets and a seeded sampler make
 * the corpus, and so every assertion on it, the same on every run.
 */
import { createWatermarker, generateKey, seededRandom, serializeKey } from '@tracemark/watermark'
import { getTokenizer } from '../../src/text/tokenizer.js'

export function markedCorpus(): { keyTexts: string[]; lines: string[] } {
  const secret = (b: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 31 + b) & 0xff)
  const key = generateKey({ scheme: 'kgw', gamma: 0.25, delta: 4 }, { secret: secret(1) })
  const other = generateKey({ scheme: 'kgw', gamma: 0.5, delta: 2 }, { secret: secret(2) })
  const tok = getTokenizer('cl100k_base')
  const words = ' the a of and to in is it that was for on are with as his they at be this from have or by one had'.split(/(?= )/)
  const allowed = [...new Set(words.map((w) => tok.encode(w)).filter((ids) => ids.length === 1).map((ids) => ids[0]))]
  const logits = new Float32Array(tok.vocabSize).fill(-Infinity)
  for (const id of allowed) logits[id] = 0
  const wm = createWatermarker(key)
  let seed = 12345
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const lines: string[] = []
  for (let i = 0; i < 37; i++) {
    if (i % 5 === 3) lines.push(i % 2 ? '{not json' : JSON.stringify({ other: 'no text field' }))
    else if (i % 3 === 0) {
      const s = wm.session()
      const ids: number[] = []
      const random = seededRandom(1000 + i)
      for (let t = 0; t < 120; t++) ids.push(s.sample(logits, { random }))
      lines.push(JSON.stringify({ text: tok.decode(ids) }))
    } else {
      const n = 40 + Math.floor(rand() * 80)
      lines.push(JSON.stringify({ text: Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]).join('') }))
    }
  }
  lines.push(JSON.stringify({ text: 'a zebra-quokka sentinel document' }))
  return { keyTexts: [serializeKey(key), serializeKey(other)], lines }
}
