/**
 * `pnpm demo`: a short investigation on built-in defaults. A provider makes a
 * key, its model (the lab's Kneser-Ney reference model) answers a prompt with a
 * watermark; the investigator tests the answer and a human text from the
 * held-out corpus. Every number printed is computed here.
 */
import { detect, type DetectionResult } from '@tracemark/detector'
import { createWatermarker, DEFAULT_SCHEME, generateKey, SCHEME_NAMES } from '@tracemark/watermark'
import { splitCorpus } from './corpus/corpus.js'
import { generate } from './generate.js'
import { loadOrTrainDefaultModel } from './model/default.js'

const fmtP = (r: DetectionResult) => (r.pValue === 0 ? `1e${r.log10PValue.toFixed(0)}` : r.pValue.toExponential(2))
const verdict = (r: DetectionResult) => (r.detected ? 'WATERMARKED' : 'not watermarked')

function main(): void {
  const t0 = performance.now()
  console.log('tracemark demo\n')
  console.log('1. The reference language model (4-gram Kneser-Ney, Brown corpus + State of the Union addresses)')
  const model = loadOrTrainDefaultModel({ log: (m) => console.log(`   ${m}`) })
  console.log(`   ready: vocabulary ${model.vocabSize}\n`)

  // The default scheme, as `tracemark keygen` makes it (chosen by the lab evaluation).
  const key = generateKey({ scheme: DEFAULT_SCHEME })
  const params = Object.entries(key.spec).filter(([k]) => k !== 'tokenizer' && k !== 'vocabSize')
  console.log(`2. The provider makes a key: ${key.keyId} (${params.map(([k, v]) => `${k} ${v}`).join(', ')}; ${key.spec.tokenizer})`)
  const prompt = 'The President said that the nation'
  const answer = generate(model, { key, prompt, maxTokens: 200, seed: 7, stopAtEnd: false })
  console.log(`   and its model answers "${prompt} ...":\n`)
  console.log(`   "${answer.text.trim().slice(0, 600).replace(/\s+/g, ' ')}${answer.text.length > 600 ? ' ...' : ''}"\n`)

  console.log('3. The investigator tests the text (as text: decoded, normalized and re-tokenized):')
  const r = detect(answer.text, key)
  console.log(`   ${verdict(r)}: p = ${fmtP(r)} (${r.scored} unique tuples, score ${r.score.toFixed(1)}, ${r.expected.toFixed(1)} expected by chance)`)
  const human = splitCorpus().heldOut.find((d) => d.id.startsWith('brown/'))!
  const h = detect(human.text.slice(0, 1500), key)
  console.log(`   a human text (${human.id}, held out from training): ${verdict(h)}: p = ${fmtP(h)}\n`)

  console.log('4. Every scheme, 200 tokens each, watermarked answer vs unwatermarked answer vs human text:')
  console.log('   scheme    watermarked p   unwatermarked p   human p')
  for (const scheme of SCHEME_NAMES) {
    const k = generateKey({ scheme })
    const wm = createWatermarker(k)
    const w = detect(generate(model, { key: wm, prompt, maxTokens: 200, seed: 11, stopAtEnd: false }).text, wm)
    const u = detect(generate(model, { prompt, maxTokens: 200, seed: 11, stopAtEnd: false }).text, wm)
    const hh = detect(human.text.slice(0, 1500), wm)
    console.log(`   ${scheme.padEnd(9)} ${fmtP(w).padStart(13)}   ${fmtP(u).padStart(15)}   ${fmtP(hh).padStart(7)}`)
  }
  console.log(`\ndone in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}

main()
