/**
 * The walk along our served answers (temperature 1 unless told), for one key and one
 * watermarked fraction: the teacher serves the distilling account (payload
 * 4242), a student is trained on human text plus that fraction of answers, and
 * is walked along the served answers (`servedPrefixPrompts`, start 8, step 1
 * unless told, one pass, causal exclusion). Scored against all 2^32 accounts and against
 * the served account alone (the provider knows whose answers it walks).
 */
import { getTokenizer, radioactivityFromAnswers, servedPrefixPrompts } from '@tracemark/detector'
import { createWatermarker, generateKey, seededRandom } from '@tracemark/watermark'
import { splitCorpus, tokenizeDocuments } from '../corpus/corpus.js'
import { PREFIX, STEP } from './index.js'
import { corpusPrompts } from '../corpus/prompts.js'
import { mixTrainingData, promptThenAnswer } from '../distill/mix.js'
import { generate } from '../generate.js'
import { loadOrTrainDefaultModel } from '../model/default.js'
import { trainModel } from '../model/ngram.js'

const ACCOUNT = 4242

/** The walk's shape: prompts every `step` tokens from `start`, `tokens` asked `samples` times each. */
export interface WalkShape {
  start?: number
  step?: number
  tokens?: number
  samples?: number
}

export function runWalkEval(o: { keySeed: number; fraction: number; temperature?: number; teacherTemperature?: number } & WalkShape, log: (line: string) => void) {
  const tok = getTokenizer('cl100k_base')
  const teacher = loadOrTrainDefaultModel({ log })
  const split = splitCorpus()
  const human = tokenizeDocuments(split.heldOut)
  const H = human.reduce((n, d) => n + d.length, 0)
  const logged = corpusPrompts(split.train, { count: 1200, offset: 0 })
  // The same secret as `eval-radioactivity` for this key seed.
  const r = seededRandom(o.keySeed * 104729 + 17)
  const wm = createWatermarker(generateKey({ scheme: 'gumbel', fingerprint: { bits: 32 } }, { secret: Uint8Array.from({ length: 32 }, () => Math.floor(r() * 256)) }))
  const need = (o.fraction * H) / (1 - o.fraction)
  const teacherTemperature = o.teacherTemperature ?? 1
  const served: Array<{ prompt: Uint32Array; answer: Uint32Array }> = []
  for (let i = 0, n = 0; n < need; i++) {
    const prompt = tok.encode(logged[i % logged.length])
    const answer = generate(teacher, { key: wm, prompt, maxTokens: 200, seed: i, topK: 50, temperature: teacherTemperature, payload: ACCOUNT }).ids
    served.push({ prompt, answer })
    n += prompt.length + answer.length
  }
  const mix = mixTrainingData(served.map((s) => promptThenAnswer(s.prompt, s.answer)), human, o.fraction)
  const student = trainModel(mix.docs, { order: 4 })
  const start = o.start ?? PREFIX
  const step = o.step ?? STEP
  const tokens = o.tokens ?? step
  const repeats = o.samples ?? 1
  const walk = servedPrefixPrompts(served, { start, step })
  const temperature = o.temperature ?? 1
  // In process each answer is back before the next prompt: every prompt is its own round
  // (its repeated samples share it: they are sent together).
  const samples = walk.flatMap((w, i) =>
    Array.from({ length: repeats }, (_, k) => ({ prompt: w.prompt, round: i, answer: generate(student, { prompt: w.prompt, maxTokens: tokens, seed: 5000 + i + 1_000_003 * k, topK: 50, temperature }).ids })),
  )
  const queried = samples.reduce((n, s) => n + s.answer.length, 0)
  const all = radioactivityFromAnswers(wm, samples, { exclusion: 'causal' })
  const registered = radioactivityFromAnswers(wm, samples, { exclusion: 'causal', accounts: [ACCOUNT] })
  const fmt = (x: typeof all) => `log10 p ${x.log10PValue.toFixed(1)}, attribution ${x.attribution ? `${x.attribution.account} (log10 p ${x.attribution.log10PValue.toFixed(1)})` : 'none'}`
  log(`walk start ${start}, step ${step}, ${tokens} tokens x ${repeats}; key ${o.keySeed}, fraction ${(100 * mix.fraction).toFixed(2)}%, teacher T ${teacherTemperature}, student T ${temperature}, ${queried} queried tokens, ${all.scored} scored: all 2^32 accounts ${fmt(all)}; the served account ${fmt(registered)}`)
  return { keySeed: o.keySeed, fraction: mix.fraction, temperature, teacherTemperature, queried, all, registered }
}
