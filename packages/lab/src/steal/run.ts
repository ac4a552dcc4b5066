import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { getTokenizer } from '@tracemark/detector'
import { createWatermarker, generateKey, isRaceFingerprint, seededRandom, type SpecInput } from '@tracemark/watermark'
import { splitCorpus, tokenizeDocuments } from '../corpus/corpus.js'
import { corpusPrompts } from '../corpus/prompts.js'
import { seededNonce } from '../generate.js'
import { loadOrTrainDefaultModel } from '../model/default.js'
import { trainModel, type NgramModel } from '../model/ngram.js'
import { continuationPerplexity, scrub, spoof, verdict, type Verdict } from './attack.js'
import { createFastGenerator } from './fast-generate.js'
import { countAnswer, createCounts, learn } from './learn.js'

/** A watermark configuration under attack. */
export interface StealConfig {
  name: string
  spec: SpecInput
}

/** The configurations `tracemark-lab steal` attacks: every scheme, short and long windows, and the default with a fingerprint. */
export const STEAL_CONFIGS: StealConfig[] = [
  { name: 'default: gumbel h=4 + fingerprint', spec: { scheme: 'gumbel', h: 4, fingerprint: { bits: 32 } } },
  { name: 'gumbel h=1', spec: { scheme: 'gumbel', h: 1 } },
  { name: 'kgw h=4 SelfHash', spec: { scheme: 'kgw', h: 4, seeding: 'self' } },
  { name: 'kgw h=1 LeftHash', spec: { scheme: 'kgw', h: 1, seeding: 'left' } },
  { name: 'synthid h=4', spec: { scheme: 'synthid', h: 4 } },
  { name: 'unigram', spec: { scheme: 'unigram' } },
  // The evaluation's automatic rule ranks h=2 first on robustness (docs/eval/eval.md).
  { name: 'gumbel h=2', spec: { scheme: 'gumbel', h: 2 } },
  // keygen's default without a fingerprint: one stream (no per-request nonces), the
  // worst case for stealing since every answer uses the same keyed values.
  { name: 'gumbel h=4, one stream', spec: { scheme: 'gumbel', h: 4, nonces: 1 } },
  // The per-request nonces keygen gave unfingerprinted gumbel keys before: 4096 streams.
  { name: 'gumbel h=4, 4096 nonces', spec: { scheme: 'gumbel', h: 4, nonces: 4096 } },
]

export interface StealOptions {
  out: string
  /** Checkpoints: numbers of answers the attacker has collected (ascending). */
  queries: number[]
  /** Configurations by index in STEAL_CONFIGS (default all). */
  configs?: number[]
  /** Spoofing attempts and scrubbed answers per checkpoint. */
  attempts: number
  /** Tokens per answer (queries, spoofs). */
  tokens: number
  /** Logit bias per unit of learned preference when spoofing. */
  strength: number
  /** Sampling temperature of the endpoint, of the attacker's own answers and of its forgeries (default 1). */
  temperature?: number
  log: (message: string) => void
}

/** The attacker's account: the endpoint embeds its fingerprint in every answer the attacker receives. */
export const ATTACKER_ACCOUNT = 424_242
const TOP_K = 50
const CAP = 3
const SCRUB_THRESHOLD = 0.5

export interface StealRow {
  config: string
  queries: number
  /** Watermarked tokens the attacker had read. */
  tokensSeen: number
  spoof: { attempts: number; below1e6: number; below1e3: number; medianLog10P: number; attributed: number | null; attributedToAttacker: number | null }
  scrub: { answers: number; tprBefore1e6: number; tpr1e6: number; tpr1e3: number; changed: number; pplRatio: number; blindTpr1e6: number }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.floor(s.length / 2)] : NaN
}
const frac = (vs: Verdict[], log10: number) => vs.filter((v) => v.log10P < log10).length / Math.max(1, vs.length)

/**
 * The watermark-stealing experiment: for each configuration, an attacker
 * collects watermarked answers (the lab's generation functions directly, not
 * HTTP, for speed), learns what the key favours, then forges (spoofing) and
 * erases (scrubbing) the watermark at each checkpoint of the number of answers.
 */
export async function runSteal(o: StealOptions): Promise<StealRow[]> {
  const t0 = performance.now()
  const victim = loadOrTrainDefaultModel({ log: o.log })
  const split = splitCorpus()
  o.log('training the attacker\'s model on the held-out split (text the victim never saw)')
  const attacker: NgramModel = trainModel(tokenizeDocuments(split.heldOut), { meta: { data: 'held-out split' } })
  const tok = getTokenizer('cl100k_base')
  const all = corpusPrompts(split.heldOut, { count: 1e9, stride: 1, seed: 5 }).map((p) => Array.from(tok.encode(p)))
  const spoofPrompts = all.slice(0, o.attempts)
  const scrubPrompts = all.slice(o.attempts, 2 * o.attempts)
  const learnPrompts = all.slice(2 * o.attempts)
  o.log(`${learnPrompts.length} distinct attacker prompts (reused with new seeds beyond that)`)
  const rows: StealRow[] = []
  mkdirSync(o.out, { recursive: true })

  for (const ci of o.configs ?? STEAL_CONFIGS.map((_, i) => i)) {
    const cfg = STEAL_CONFIGS[ci]
    const secret = Uint8Array.from({ length: 32 }, (_, i) => (i * 131 + ci * 17 + 3) & 255)
    const key = generateKey({ tokenizer: 'cl100k_base', vocabSize: victim.vocabSize, ...cfg.spec }, { secret })
    const wm = createWatermarker(key)
    const fp = key.spec.fingerprint
    const slack = (key.spec.scheme === 'kgw' || key.spec.scheme === 'unigram' ? key.spec.delta : 0) + (fp && !isRaceFingerprint(fp) ? fp.delta : 0)
    const endpoint = createFastGenerator(victim, { topK: TOP_K, slack })
    const own = createFastGenerator(attacker, { topK: TOP_K, slack: 0 })
    const h = key.spec.scheme === 'unigram' ? 0 : key.spec.h
    const temperature = o.temperature ?? 1
    const counts = createCounts(h)
    const ask = (prompt: number[], seed: number) =>
      endpoint.generate({ prompt, maxTokens: o.tokens, session: wm.session({ prompt, payload: fp ? ATTACKER_ACCOUNT : undefined, nonce: seededNonce(key.spec, seed) }), random: seededRandom(seed), temperature })
    // Fresh watermarked answers to scrub (prompts the attacker never learned from).
    const victims = scrubPrompts.map((p, i) => ({ prompt: p, ids: ask(p, 900_000 + i) }))
    const before = victims.map((v) => verdict(v.ids, wm))
    let q = 0
    let seen = 0
    for (const checkpoint of o.queries) {
      while (q < checkpoint) {
        const prompt = learnPrompts[q % learnPrompts.length]
        const ids = ask(prompt, q)
        seen += ids.length
        countAnswer(counts, prompt, ids, true)
        countAnswer(counts, prompt, own.generate({ prompt, maxTokens: o.tokens, session: null, random: seededRandom(5_000_000 + q), temperature }), false)
        q++
        if (q % 1000 === 0) o.log(`${cfg.name}: ${q}/${o.queries.at(-1)} answers (${((performance.now() - t0) / 1000).toFixed(0)} s)`)
      }
      const learned = learn(counts, attacker)
      const forged = spoofPrompts.map((p, i) => verdict(spoof(own, learned, { prompt: p, maxTokens: o.tokens, random: seededRandom(7_000_000 + i), strength: o.strength, cap: CAP, temperature }), wm))
      const scrubbed = victims.map((v) => ({ v, s: scrub(own, learned, v.prompt, v.ids, { threshold: SCRUB_THRESHOLD }) }))
      const after = scrubbed.map(({ s }) => verdict(s.ids, wm))
      const rnd = seededRandom(11 + checkpoint)
      const blind = scrubbed.map(({ v, s }) => {
        const positions = new Set<number>()
        while (positions.size < Math.min(s.changed, v.ids.length)) positions.add(Math.floor(rnd() * v.ids.length))
        return verdict(scrub(own, null, v.prompt, v.ids, { threshold: SCRUB_THRESHOLD, positions }).ids, wm)
      })
      const ppl = scrubbed.map(({ v, s }) => continuationPerplexity(victim, v.prompt, s.ids) / continuationPerplexity(victim, v.prompt, v.ids))
      const attributed = fp ? forged.filter((f) => f.account != null).length / forged.length : null
      const row: StealRow = {
        config: cfg.name,
        queries: checkpoint,
        tokensSeen: seen,
        spoof: {
          attempts: forged.length,
          below1e6: frac(forged, -6),
          below1e3: frac(forged, -3),
          medianLog10P: median(forged.map((f) => f.log10P)),
          attributed,
          attributedToAttacker: fp ? forged.filter((f) => f.account === ATTACKER_ACCOUNT).length / forged.length : null,
        },
        scrub: {
          answers: victims.length,
          tprBefore1e6: frac(before, -6),
          tpr1e6: frac(after, -6),
          tpr1e3: frac(after, -3),
          changed: scrubbed.reduce((n, x) => n + x.s.changed, 0) / Math.max(1, scrubbed.reduce((n, x) => n + x.v.ids.length, 0)),
          pplRatio: median(ppl),
          blindTpr1e6: frac(blind, -6),
        },
      }
      rows.push(row)
      o.log(`${cfg.name} @ ${checkpoint}: spoof p<1e-3 ${(row.spoof.below1e3 * 100).toFixed(0)}%, p<1e-6 ${(row.spoof.below1e6 * 100).toFixed(0)}%; scrub TPR@1e-6 ${row.scrub.tprBefore1e6.toFixed(2)} -> ${row.scrub.tpr1e6.toFixed(2)}`)
      writeFileSync(join(o.out, 'steal.json'), `${JSON.stringify({ options: { ...o, log: undefined }, rows }, null, 2)}\n`)
      writeFileSync(join(o.out, 'steal.md'), stealMarkdown(rows, o))
    }
    const st = endpoint.stats()
    o.log(`${cfg.name}: done; fast generator fell back to full logits at ${((100 * st.fallbacks) / Math.max(1, st.steps)).toFixed(1)}% of steps`)
  }
  return rows
}

const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(x > 0 && x < 0.1 ? 1 : 0)}%`)

/** The tables of docs/security.md. */
export function stealMarkdown(rows: StealRow[], o: Pick<StealOptions, 'attempts' | 'tokens' | 'strength' | 'temperature'>): string {
  const lines = [
    `Spoofing: ${o.attempts} forged texts of up to ${o.tokens} tokens per cell (attacker's model, top-k ${TOP_K}, temperature ${o.temperature ?? 1} for the endpoint's answers, the attacker's own and its forgeries, bias strength ${o.strength}); "attributed" = the fingerprint names an account at p < 1e-6.`,
    '',
    '| configuration | answers read | watermarked tokens read | forged p < 1e-3 | forged p < 1e-6 | median log10 p | attributed (to the attacker) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.config} | ${r.queries} | ${r.tokensSeen} | ${pct(r.spoof.below1e3)} | ${pct(r.spoof.below1e6)} | ${r.spoof.medianLog10P.toFixed(1)} | ${r.spoof.attributed === null ? '—' : `${pct(r.spoof.attributed)} (${pct(r.spoof.attributedToAttacker)})`} |`),
    '',
    `Scrubbing: ${o.attempts} fresh watermarked answers per cell, rewritten where the learned preference of a token is >= ${SCRUB_THRESHOLD}; "blind" makes as many substitutions at random positions. Perplexity under the victim's unwatermarked model, scrubbed / original (median).`,
    '',
    '| configuration | answers read | TPR@1e-6 before | after | TPR@1e-3 after | tokens changed | blind TPR@1e-6 | perplexity ratio |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.config} | ${r.queries} | ${r.scrub.tprBefore1e6.toFixed(2)} | ${r.scrub.tpr1e6.toFixed(2)} | ${r.scrub.tpr1e3.toFixed(2)} | ${pct(r.scrub.changed)} | ${r.scrub.blindTpr1e6.toFixed(2)} | ${r.scrub.pplRatio.toFixed(2)} |`),
    '',
  ]
  return lines.join('\n')
}
