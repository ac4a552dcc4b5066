import { seededRandom } from '@tracemark/watermark'
import type { Document } from './corpus.js'

/**
 * Prompts cut from human documents: the first `words` words of sentences that
 * start with a capital letter and run at least `words + 6` words. `offset` of
 * every `stride` sentences are taken, so offsets give disjoint prompt sets (a
 * distiller's prompts and fresh probe prompts). Shuffled by `seed`; deterministic.
 */
export function corpusPrompts(docs: readonly Document[], o: { count: number; offset?: number; stride?: number; words?: number; seed?: number }): string[] {
  const words = o.words ?? 8
  const stride = o.stride ?? 7
  const out: string[] = []
  let k = 0
  for (const d of docs) {
    for (const sentence of d.text.split(/(?<=[.!?])\s+/)) {
      const w = sentence.split(/\s+/)
      if (w.length < words + 6 || !/^[A-Z]/.test(sentence)) continue
      if (k++ % stride === (o.offset ?? 0)) out.push(w.slice(0, words).join(' '))
    }
  }
  const rnd = seededRandom(o.seed ?? 99)
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out.slice(0, o.count)
}
