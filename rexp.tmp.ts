import { getTokenizer, radioactivityFromAnswers } from '@tracemark/detector'
import { createWatermarker, generateKey, seededRandom } from '@tracemark/watermark'
import { splitCorpus, tokenizeDocuments } from './packages/lab/src/corpus/corpus.js'
import { corpusPrompts } from './packages/lab/src/corpus/prompts.js'
import { mixTrainingData, promptThenAnswer } from './packages/lab/src/distill/mix.js'
import { generate } from './packages/lab/src/generate.js'
import { loadOrTrainDefaultModel } from './packages/lab/src/model/default.js'
import { trainModel } from './packages/lab/src/model/ngram.js'
const t0 = performance.now()
const el = () => `${((performance.now() - t0) / 1000).toFixed(0)}s`
const tok = getTokenizer('cl100k_base')
const teacher = loadOrTrainDefaultModel()
const split = splitCorpus()
const human = tokenizeDocuments(split.heldOut)
const H = human.reduce((n, d) => n + d.length, 0)
const logged = corpusPrompts(split.train, { count: 1200, offset: 0 })
const r = seededRandom(1 * 104729 + 17)
const secret = Uint8Array.from({ length: 32 }, () => Math.floor(r() * 256))
const wm = createWatermarker(generateKey({ scheme: 'gumbel', fingerprint: { bits: 32 } }, { secret }))
const f = 0.01
const need = (f * H) / (1 - f)
const served: Array<{ prompt: Uint32Array; answer: Uint32Array }> = []
const docs: Uint32Array[] = []
for (let i = 0, n = 0; n < need; i++) {
  const prompt = tok.encode(logged[i % logged.length])
  const answer = generate(teacher, { key: wm, prompt, maxTokens: 200, seed: i, topK: 50, payload: 4242 }).ids
  served.push({ prompt, answer })
  docs.push(promptThenAnswer(prompt, answer))
  n += docs[docs.length - 1].length
}
console.log(`served ${served.length} answers (${el()})`)
const mix = mixTrainingData(docs, human, f)
const student = trainModel(mix.docs, { order: 4 })
const clean = trainModel(human, { order: 4 })
console.log(`trained (${el()}) fraction ${mix.fraction}`)
const budget = Number(process.argv[2] ?? 10000)
for (const [name, model] of [['student', student], ['clean', clean]] as const) {
  for (const prefix of [0, 4, 16]) {
    const maxTokens = Number(process.argv[3] ?? 200)
    const samples: Array<{ prompt: Uint32Array; answer: Uint32Array }> = []
    for (let i = 0, q = 0; q < budget; i++) {
      const s = served[i % served.length]
      const prompt = Uint32Array.from([...s.prompt, ...s.answer.subarray(0, prefix)])
      const g = generate(model, { prompt, maxTokens, seed: 5000 + i, topK: 50, temperature: 1 })
      samples.push({ prompt, answer: g.ids })
      q += g.ids.length
    }
    const res = radioactivityFromAnswers(wm, samples)
    console.log(`${name} prefix ${prefix} maxTokens ${maxTokens}: log10 p ${res.log10PValue.toFixed(2)} scored ${res.scored} attribution ${res.attribution?.account ?? 'none'} ${res.attribution?.log10PValue?.toFixed(1) ?? ''} (${el()})`)
  }
}
