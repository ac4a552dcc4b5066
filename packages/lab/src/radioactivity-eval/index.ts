/**
 * Radioactivity evaluation: a teacher (the reference model) answers with the
 * default watermark and a fingerprint; a student n-gram model is trained on
 * human text with a fraction of those answers; the closed-model probe and the
 * reading-mode test are run against it. Reports log10 p against the watermarked
 * fraction, the queried tokens, the probe's prompts and temperature, and checks
 * that a clean student's p-values are uniform over keys.
 * Writes radioactivity.json and radioactivity.md to `outDir` (default: a scratch
 * folder; the published tables are regenerated with `--out docs/radioactivity`).
 *
 * In-process (no HTTP): the same decoding loop the server runs, a host with
 * top-k 50 on both sides for speed; `tracemark probe` runs the same test over HTTP.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { getTokenizer, radioactivityByReading, radioactivityFromAnswers, servedPrefixPrompts, type RadioactivityResult } from '@tracemark/detector'
import { createWatermarker, generateKey, seededRandom, type Watermarker } from '@tracemark/watermark'
import { ksUniform } from '../../../detector/src/stats/ks.js'
import { splitCorpus, tokenizeDocuments } from '../corpus/corpus.js'
import { corpusPrompts } from '../corpus/prompts.js'
import { mixTrainingData, promptThenAnswer } from '../distill/mix.js'
import { generate } from '../generate.js'
import { loadOrTrainDefaultModel } from '../model/default.js'
import { evalOutDir } from '../eval/out-dir.js'
import { probabilities, trainModel, type NgramModel } from '../model/ngram.js'

export interface RadioactivityEvalOptions {
  quick: boolean
  outDir?: string
  /** Tokens generated so far (teacher answers and student probe answers) of an estimated total. */
  onProgress?: (done: number, total: number) => void
  /** Watermarked fractions to train students at (default 0, 0.5 %, 1 %, 5 %, 10 %, 50 %). */
  fractions?: number[]
  /** Probes to run, by label (default all of {@link PROBES}). */
  probes?: string[]
  /** Keys the clean student is scored with for the uniformity check (default 500, quick 50). */
  cleanKeys?: number
}

/**
 * The probes: which prompts the suspect answers, at which temperature. `served
 * prefix` prompts are the logged prompts followed by the first {@link PREFIX}
 * tokens of the answers we served to them (see `servedPrefixPrompts`).
 */
export const PROBES = [
  { label: 'logged, T 1', prompts: 'logged', temperature: 1 },
  { label: 'served prefix, T 1', prompts: 'prefix', temperature: 1 },
  { label: 'logged, T 0.5', prompts: 'logged', temperature: 0.5 },
  { label: 'fresh, T 0.5', prompts: 'fresh', temperature: 0.5 },
] as const

/** Where the walk along a served answer starts: past the prompt's common contexts, 4 % of a 200-token answer. */
export const PREFIX = 8
/** Answer tokens the suspect is asked for at each point of the walk (the walk's stride; `tracemark probe --served`'s default). */
export const STEP = 1

const ACCOUNT = 4242
const TOP_K = 50

interface Probe {
  label: string
  prompts: 'logged' | 'fresh' | 'prefix'
  temperature: number
  /** log10 p at each checkpoint of queried tokens. */
  log10P: Array<{ tokens: number; log10P: number; scored: number }>
  attributed: number | null
  attributionLog10P: number | null
}

interface Row {
  fraction: number
  keySeed: number
  answerTokens: number
  humanTokens: number
  probes: Probe[]
  reading: { human: { log10P: number; scored: number }; ours: { log10P: number; scored: number; excluded: number }; oursWithoutExclusion: number }
}

const secret = (seed: number) => {
  const r = seededRandom(seed * 104729 + 17)
  return Uint8Array.from({ length: 32 }, () => Math.floor(r() * 256))
}

export function runRadioactivityEval(o: RadioactivityEvalOptions, log: (line: string) => void): { rows: Row[] } {
  const t0 = performance.now()
  const el = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`
  const tok = getTokenizer('cl100k_base')
  const teacher = loadOrTrainDefaultModel({ log })
  const split = splitCorpus()
  const human = tokenizeDocuments(split.heldOut)
  const H = human.reduce((n, d) => n + d.length, 0)
  const fractions = o.fractions ?? (o.quick ? [0, 0.05] : [0, 0.005, 0.01, 0.05, 0.1, 0.5])
  const probeSet = PROBES.filter((p) => !o.probes || o.probes.includes(p.label))
  if (probeSet.length === 0) throw new Error(`no probe matches ${JSON.stringify(o.probes)}; probes are ${PROBES.map((p) => p.label).join(', ')}`)
  const checkpoints = o.quick ? [2_000, 5_000] : [10_000, 30_000, 100_000]
  // Past 5 % the first checkpoint already gives p far below 1e-30: stop there.
  const checkpointsFor = (f: number) => (f >= 0.05 ? checkpoints.slice(0, 1) : checkpoints)
  const keySeeds = (f: number) => (o.quick ? [1] : f > 0 && f <= 0.01 ? [1, 2] : [1])
  const logged = corpusPrompts(split.train, { count: 1200, offset: 0 })
  const fresh = corpusPrompts(split.train, { count: 600, offset: 3 })
  // Reading mode reads text the student never trained on: human text from the
  // teacher's training split, and fresh watermarked answers of our own.
  const readingHuman = tokenizeDocuments(split.train.slice(0, o.quick ? 2 : 12)).map((d) => d.subarray(0, 2500))
  const maxAnswerTokens = Math.max(...fractions.filter((f) => f < 0.5).map((f) => (f * H) / (1 - f)), o.quick ? 20_000 : 116_000)

  // The work is generating tokens: the teacher's answers (per key, up to the largest
  // fraction that key is used at) and every probe's answers up to its budget.
  // 50 %: as many human tokens as answers (the pool is not large enough for 1.04M of answers).
  const needFor = (f: number) => (f === 0 ? 0 : f === 0.5 ? maxAnswerTokens : (f * H) / (1 - f))
  const teacherNeed = new Map<number, number>()
  let total = 0
  for (const f of fractions) {
    for (const k of keySeeds(f)) teacherNeed.set(k, Math.max(teacherNeed.get(k) ?? 0, needFor(f)))
    total += keySeeds(f).length * probeSet.length * checkpointsFor(f)[checkpointsFor(f).length - 1]
  }
  for (const n of teacherNeed.values()) total += Math.ceil(n)
  let generated = 0
  const progressed = (tokens: number) => o.onProgress?.((generated += tokens), total)

  const rows: Row[] = []
  let cleanStudent: NgramModel | undefined
  const answersByKey = new Map<number, { wm: Watermarker; docs: Uint32Array[]; served: Array<{ prompt: Uint32Array; answer: Uint32Array }> }>()
  const answersFor = (seed: number, tokens: number) => {
    let e = answersByKey.get(seed)
    if (!e) {
      const key = generateKey({ scheme: 'gumbel', fingerprint: { bits: 32 } }, { secret: secret(seed) })
      e = { wm: createWatermarker(key), docs: [], served: [] }
      answersByKey.set(seed, e)
    }
    let n = e.docs.reduce((a, d) => a + d.length, 0)
    for (let i = e.docs.length; n < tokens; i++) {
      const prompt = tok.encode(logged[i % logged.length])
      const answer = generate(teacher, { key: e.wm, prompt, maxTokens: 200, seed: i, topK: TOP_K, payload: ACCOUNT }).ids
      const doc = promptThenAnswer(prompt, answer)
      e.served.push({ prompt, answer })
      e.docs.push(doc)
      n += doc.length
      progressed(doc.length)
    }
    return e
  }

  for (const f of fractions) {
    for (const keySeed of keySeeds(f)) {
      // The 0 % student is probed with prefixes of 50 answers it never saw.
      const { wm, docs, served } = answersFor(keySeed, f === 0 && probeSet.some((p) => p.prompts === 'prefix') ? 10_000 : needFor(f))
      const mix = mixTrainingData(docs, human, f)
      const student = trainModel(mix.docs, { order: 4 })
      if (f === 0) cleanStudent = student
      // The prompts whose answers went into the mix (answers are taken in order).
      let used = 0
      for (let n = 0; n < mix.answerTokens; used++) n += docs[used].length
      const usedPrompts = logged.slice(0, Math.max(1, used))
      const prefixPrompts = servedPrefixPrompts(served.slice(0, f === 0 ? 50 : Math.max(1, used)), { start: PREFIX, step: STEP })
      const probes: Probe[] = []
      const marks = checkpointsFor(f)
      const budget = marks[marks.length - 1]
      for (const { label, prompts, temperature } of probeSet) {
        const ps = prompts === 'logged' ? (f === 0 ? logged.slice(0, 50) : usedPrompts) : fresh
        const samples: Array<{ prompt: Uint32Array; answer: Uint32Array; round: number }> = []
        const points: Probe['log10P'] = []
        let last: RadioactivityResult | undefined
        // A walk along the served answers is one pass (a second would only repeat
        // prompts whose answers the walk has since revealed); it ends with its own point.
        const walk = prompts === 'prefix'
        const score = () => radioactivityFromAnswers(wm, samples, walk ? { exclusion: 'causal' } : {})
        for (let i = 0, q = 0; q < budget; i++) {
          if (walk && i === prefixPrompts.length) {
            last = score()
            points.push({ tokens: q, log10P: last.log10PValue, scored: last.scored })
            break
          }
          const prompt = walk ? prefixPrompts[i].prompt : tok.encode(ps[i % ps.length])
          const g = generate(student, { prompt, maxTokens: walk ? STEP : 200, seed: 5000 + i, topK: TOP_K, temperature })
          samples.push({ prompt, answer: g.ids, round: i }) // in-process: each answer is back before the next prompt
          q += g.ids.length
          progressed(g.ids.length)
          // The loop ends right after the last checkpoint, so `last` scores every sample.
          while (points.length < marks.length && q >= marks[points.length]) {
            last = score()
            points.push({ tokens: q, log10P: last.log10PValue, scored: last.scored })
          }
        }
        const a = last?.attribution ?? null
        probes.push({ label, prompts, temperature, log10P: points, attributed: a?.account ?? null, attributionLog10P: a?.log10PValue ?? null })
      }
      // Reading mode: the student's top-1 prediction at every position.
      const p = new Float64Array(student.vocabSize)
      const top1 = (ctx: ArrayLike<number>) => {
        probabilities(student, ctx, p)
        let best = 0
        for (let t = 1; t < p.length; t++) if (p[t] > p[best]) best = t
        return best
      }
      const ours = Array.from({ length: o.quick ? 3 : 40 }, (_, i) =>
        Uint32Array.from(generate(teacher, { key: wm, prompt: fresh[i], maxTokens: 200, seed: 9000 + i, topK: TOP_K, payload: ACCOUNT }).ids),
      )
      const rh = radioactivityByReading(wm, readingHuman, top1)
      const ro = radioactivityByReading(wm, ours, top1)
      const naive = radioactivityByReading(wm, ours, top1, { excludeInputs: false })
      const row: Row = {
        fraction: mix.fraction,
        keySeed,
        answerTokens: mix.answerTokens,
        humanTokens: mix.humanTokens,
        probes,
        reading: { human: { log10P: rh.log10PValue, scored: rh.scored }, ours: { log10P: ro.log10PValue, scored: ro.scored, excluded: ro.excludedInput }, oursWithoutExclusion: naive.log10PValue },
      }
      rows.push(row)
      log(
        `fraction ${(100 * mix.fraction).toFixed(2)}% key ${keySeed}: ${probes.map((pr) => `${pr.prompts}/T${pr.temperature} ${pr.log10P.map((x) => x.log10P.toFixed(1)).join('/')}`).join('  ')}  reading human ${rh.log10PValue.toFixed(1)} ours ${ro.log10PValue.toFixed(1)} (without exclusion ${naive.log10PValue.toFixed(1)})  (${el()})`,
      )
    }
  }

  // A clean student (0 %) scored with many fresh keys: its p-values must be uniform.
  const clean = cleanStudent ?? trainModel(human, { order: 4 })
  const cleanSamples = Array.from({ length: o.quick ? 20 : 150 }, (_, i) => {
    const prompt = tok.encode(fresh[i % fresh.length])
    return { prompt, answer: generate(clean, { prompt, maxTokens: 200, seed: 7000 + i, topK: TOP_K, temperature: 0.5 }).ids }
  })
  const keys = o.cleanKeys ?? (o.quick ? 50 : 500)
  const nullP: number[] = []
  for (let k = 0; k < keys; k++) {
    const wm = createWatermarker(generateKey({ scheme: 'gumbel', fingerprint: { bits: 32 } }, { secret: secret(100_000 + k) }))
    nullP.push(radioactivityFromAnswers(wm, cleanSamples).pValue)
  }
  const uniformity = {
    keys,
    tokens: cleanSamples.reduce((n, s) => n + s.answer.length, 0),
    ksPValue: ksUniform(nullP).pValue,
    below01: nullP.filter((x) => x < 0.01).length,
    below05: nullP.filter((x) => x < 0.05).length,
    min: Math.min(...nullP),
  }
  log(`clean student over ${keys} keys: KS p = ${uniformity.ksPValue.toFixed(3)}, ${uniformity.below01} below 0.01, min ${uniformity.min.toExponential(2)} (${el()})`)

  const outDir = evalOutDir('radioactivity', o.quick, o.outDir)
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, 'radioactivity.json'), `${JSON.stringify({ topK: TOP_K, checkpoints, humanTokens: H, rows, uniformity }, null, 1)}\n`)
  writeFileSync(join(outDir, 'radioactivity.md'), markdown(rows, checkpoints, uniformity, probeSet.map((p) => p.label), o))
  log(`wrote ${outDir}`)
  return { rows }
}

function markdown(
  rows: Row[],
  checkpoints: number[],
  u: { keys: number; tokens: number; ksPValue: number; below01: number; below05: number; min: number },
  probeLabels: string[],
  o: RadioactivityEvalOptions,
): string {
  const k = (n: number) => `${Math.round(n / 1000)}k`
  const fpProbe = probeLabels.includes('logged, T 0.5') ? 'logged, T 0.5' : probeLabels[probeLabels.length - 1]
  const head = ['watermarked fraction', 'key', 'answer tokens', ...probeLabels.map((p) => `${p}: log10 p at ${checkpoints.map(k).join(' / ')}`), `fingerprint (${fpProbe})`, 'reading: human text', 'reading: our text', 'reading: our text, no exclusion (invalid)']
  const flags = [o.quick ? ' --quick' : '', o.fractions ? ` --fractions ${o.fractions.join(',')}` : '', o.probes ? ` --probes '${o.probes.join(';')}'` : '', o.cleanKeys ? ` --clean-keys ${o.cleanKeys}` : ''].join('')
  const lines = [
    '# Radioactivity: was the student trained on our watermarked answers?',
    '',
    `Generated by \`pnpm lab eval-radioactivity${flags}\`. Teacher: the reference 4-gram model with the default key (gumbel, h = 4, 32-bit fingerprint), top-k 50. Student: a 4-gram model trained on the held-out human split (1.04M tokens) plus the fraction of teacher answers (prompt + answer); the 50 % row uses as many human tokens as answers. Probe: the student answers prompts (200 tokens each, top-k 50) until the token budget; every answer is scored with global tuple dedup and without the prompt tuples. "logged" prompts are the ones the distilling account sent (the provider's logs); "fresh" prompts are other sentence openings of the same corpus. "served prefix" walks along the answers we served: the logged prompt followed by the first j tokens of our answer, for j = ${PREFIX}, ${PREFIX + STEP}, ..., the student asked for ${STEP} tokens each, one pass (\`servedPrefixPrompts\`, scored with causal exclusion: a tuple is dropped when it occurs in a prompt sent before its answer, so the test stays exact; the 0 % student walks 50 answers it never saw). Its queried tokens are those of the one pass, the last number of its column. Reading mode: the student's top-1 prediction teacher-forced on human text it never saw, and on fresh watermarked answers of ours (their own tuples excluded).`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
  ]
  for (const r of rows) {
    const fp = r.probes.find((p) => p.label === fpProbe)
    lines.push(
      `| ${(100 * r.fraction).toFixed(2)}% | ${r.keySeed} | ${r.answerTokens} | ${r.probes.map((p) => p.log10P.map((x) => x.log10P.toFixed(1)).join(' / ')).join(' | ')} | ${fp?.attributed === null || !fp ? 'none' : `${fp.attributed} (log10 p ${fp.attributionLog10P!.toFixed(1)})`} | ${r.reading.human.log10P.toFixed(1)} | ${r.reading.ours.log10P.toFixed(1)} | ${r.reading.oursWithoutExclusion.toFixed(1)} |`,
    )
  }
  lines.push(
    '',
    `Clean student (0 %), ${u.tokens} answer tokens (fresh prompts, T 0.5) scored with ${u.keys} independent keys: KS p = ${u.ksPValue.toFixed(3)}; ${u.below01} p-values below 0.01 and ${u.below05} below 0.05 (expected ${(u.keys * 0.01).toFixed(0)} and ${(u.keys * 0.05).toFixed(0)}); smallest ${u.min.toExponential(2)}.`,
    '',
  )
  return lines.join('\n')
}
