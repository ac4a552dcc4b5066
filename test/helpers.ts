import { binomialUpperTailLog } from '../packages/detector/src/stats/tails.js'
import { nullModel, type WatermarkSpec } from '@tracemark/watermark'
import type { DetectionResult } from '@tracemark/detector'
import { run } from '../packages/detector/src/cli/program.js'

/**
 * Randomized p-value of a discrete (binomial) test: P(X > k) + U * P(X = k).
 * Under the null it is exactly Uniform(0, 1), so a KS test can check the tail
 * computation itself; the plain p-value P(X >= k) is only super-uniform.
 */
export function randomizedPValue(r: DetectionResult, spec: WatermarkSpec, u: number): number {
  const law = nullModel(spec)
  if (law.kind === 'gamma') return r.pValue
  const n = r.scored * law.trials
  const k = Math.round(r.score)
  const atLeast = Math.exp(binomialUpperTailLog(k, n, law.p))
  const above = Math.exp(binomialUpperTailLog(k + 1, n, law.p))
  return above + u * (atLeast - above)
}

/** Deterministic 32-byte secrets for test keys, one per index. */
export function testSecret(i: number, salt = 0): Uint8Array {
  const s = new Uint8Array(32)
  let x = (i * 2654435761 + salt * 40503 + 12345) >>> 0
  for (let j = 0; j < 32; j++) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + j) >>> 0
    s[j] = x & 0xff
  }
  return s
}

import { getTokenizer } from '@tracemark/detector'
import { createWatermarker, generateKey, seededRandom, type WatermarkKey } from '@tracemark/watermark'
import { createSyntheticModel } from '../packages/lab/src/synthetic.js'

let wordMask: Float32Array | null = null

/**
 * A logits mask (0 or -Infinity) allowing only cl100k tokens of the form
 * " word" (space + lowercase letters) that re-encode to themselves: text made of
 * them tokenizes back to exactly the generated ids, so string-level detection can
 * be tested without a real language model.
 */
export function wordTokenMask(): Float32Array {
  if (wordMask) return wordMask
  const tok = getTokenizer('cl100k_base')
  const mask = new Float32Array(tok.vocabSize).fill(-Infinity)
  for (let id = 0; id < 100_256; id++) {
    const s = tok.decode([id])
    if (/^ [a-z]{2,12}$/.test(s)) {
      const back = tok.encode(s)
      if (back.length === 1 && back[0] === id) mask[id] = 0
    }
  }
  wordMask = mask
  return mask
}

/** Watermarked "text" of `tokens` word tokens from the synthetic model under `key` (fingerprinted with `payload` if given). */
export function watermarkedWords(key: WatermarkKey, tokens: number, seed: number, payload?: number): { ids: Uint32Array; text: string } {
  const model = createSyntheticModel({ seed })
  const mask = wordTokenMask()
  const s = createWatermarker(key).session(payload === undefined ? undefined : { payload })
  const rnd = seededRandom(seed)
  const ctx: number[] = []
  const logits = new Float32Array(model.vocabSize)
  for (let i = 0; i < tokens; i++) {
    model.logits(ctx, logits)
    for (let j = 0; j < logits.length; j++) logits[j] += mask[j]
    ctx.push(s.sample(logits, { random: rnd }))
  }
  const ids = Uint32Array.from(ctx)
  return { ids, text: getTokenizer('cl100k_base').decode(ids) }
}

export { generateKey }

/**
 * Two-sided acceptance region for the number of p-values below alpha among n
 * null documents: Binomial(n, alpha) with 0.05% cut from each tail, so a correct
 * implementation fails this check with probability under 1e-3 (and with the fixed
 * seeds below, never: the outcome is deterministic).
 */
export function binomialBounds(n: number, alpha: number, tail = 5e-4): [number, number] {
  let hi = 0
  while (Math.exp(binomialUpperTailLog(hi + 1, n, alpha)) > tail) hi++
  let lo = 0
  while (1 - Math.exp(binomialUpperTailLog(lo + 1, n, alpha)) < tail) lo++
  return [lo, hi]
}


/** The `tracemark` CLI run in-process: exit status and everything it printed. */
export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await run(args, { out: (s) => (out += s), err: (s) => (err += s) })
  return { code, out, err }
}
