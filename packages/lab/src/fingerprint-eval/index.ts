/**
 * Fingerprint evaluation: exact-match and attribution rates of a 32-bit payload by
 * length and attack, false attribution over 100,000 trials, collusion, and quality
 * cost. Writes fingerprint.json and fingerprint.md to `outDir` (default: a scratch
 * folder; the published tables are regenerated with `--out docs/fingerprint`).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { attributeVotes, detect, getTokenizer } from '@tracemark/detector'
import {
  accountCodeword,
  createWatermarker,
  decodeCandidates,
  fingerprintCode,
  fingerprintVotes,
  generateKey,
  rsFromPositions,
  seededRandom,
  type SpecInput,
  type Watermarker,
} from '@tracemark/watermark'
import { substituteSynonyms } from '../attacks/index.js'
import { splitCorpus, tokenizeDocuments } from '../corpus/corpus.js'
import { generate } from '../generate.js'
import { loadOrTrainDefaultModel } from '../model/default.js'
import { evalOutDir } from '../eval/out-dir.js'
import { logProb, type NgramModel } from '../model/ngram.js'
import { createSyntheticModel } from '../synthetic.js'

export interface FingerprintEvalOptions {
  quick: boolean
  outDir?: string
  /** Sampling temperature of every answer (default 1). */
  temperature?: number
  /** Top-p of every answer (default 1: the full vocabulary). */
  topP?: number
  /** Answers per configuration (default 100, quick 8). */
  docs?: number
  /** False-attribution registry trials (default 100,000, quick 2,000). */
  trials?: number
  /** Also run the colour-bias configurations (the former default, kgw) and kgw alone, for comparison. */
  compare?: boolean
}

const DEFAULT_CONFIG = { label: 'gumbel + race fingerprint (default)', spec: { scheme: 'gumbel', fingerprint: { bits: 32 } } as SpecInput }
const COMPARISON: Array<{ label: string; spec: SpecInput }> = [
  { label: 'gumbel + colour bias delta 4 (the former default)', spec: { scheme: 'gumbel', fingerprint: { bits: 32, delta: 4 } } },
  { label: 'kgw + colour bias delta 4', spec: { scheme: 'kgw', fingerprint: { bits: 32, delta: 4 } } },
]
const LENGTHS = [100, 200, 400]
const ATTACKS: Array<{ label: string; strength: number }> = [
  { label: 'none', strength: 0 },
  { label: 'synonym 10%', strength: 0.1 },
  { label: 'synonym 20%', strength: 0.2 },
]

const account = (i: number) => Math.imul(i + 1, 2654435761) >>> 0

function secretFor(i: number, salt: number): Uint8Array {
  const r = seededRandom(i * 7919 + salt)
  return Uint8Array.from({ length: 32 }, () => Math.floor(r() * 256))
}

interface Cell {
  exact: number
  attributed: number
  attributedRegistry: number
  /** The zero-bit test (no payload) at p < 1e-6. */
  detected: number
  wrong: number
  n: number
}

/** Perplexity under the unwatermarked model, with a 95% interval of its ratio to plain sampling. */
export interface Quality {
  perplexity: number
  ratio: number
  ratioLow: number
  ratioHigh: number
}

/**
 * The ratio of perplexities is exp of the difference of mean per-token NLLs; with
 * answers as independent units (equal lengths) the difference of the per-answer
 * means is normal to a good approximation, so the 95% interval is
 * exp(d +- 1.96 sqrt(var_a / n_a + var_b / n_b)).
 */
function quality(per: number[], plain: number[]): Quality {
  const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length
  const variance = (x: number[]) => x.reduce((a, b) => a + (b - mean(x)) ** 2, 0) / (x.length - 1)
  const d = mean(per) - mean(plain)
  const se = Math.sqrt(variance(per) / per.length + variance(plain) / plain.length)
  return { perplexity: Math.exp(mean(per)), ratio: Math.exp(d), ratioLow: Math.exp(d - 1.96 * se), ratioHigh: Math.exp(d + 1.96 * se) }
}

function perplexity(model: NgramModel, prompt: number[], ids: ArrayLike<number>): number {
  const ctx = prompt.slice()
  let nll = 0
  for (let i = 0; i < ids.length; i++) {
    nll -= logProb(model, ctx, ids[i])
    ctx.push(ids[i])
  }
  return nll
}

/** Exact match (decoder's top candidate) and attribution (corrected test passes) per cell. */
function rates(model: NgramModel, docs: number, sampling: { temperature?: number; topP?: number }, CONFIGS: typeof COMPARISON, log: (s: string) => void) {
  const tok = getTokenizer('cl100k_base')
  const prompt = Array.from(tok.encode('The nation'))
  const table: Record<string, Record<string, Cell>> = {}
  const nllOf = (ids: ArrayLike<number>) => perplexity(model, prompt, ids) / ids.length
  const plain: number[] = []
  for (let d = 0; d < docs; d++) {
    plain.push(nllOf(generate(model, { watermark: false, prompt, maxTokens: 400, seed: d, stopAtEnd: false, ...sampling }).ids))
  }
  const qualities: Record<string, Quality> = { 'no watermark': quality(plain, plain) }
  if (CONFIGS.length > 1) {
    // The zero-bit kgw reference configuration alone, for scale.
    const kgw: number[] = []
    for (let d = 0; d < docs; d++) {
      const key = generateKey({ scheme: 'kgw' }, { secret: secretFor(d, 5) })
      kgw.push(nllOf(generate(model, { key, prompt, maxTokens: 400, seed: d, stopAtEnd: false, ...sampling }).ids))
    }
    qualities['kgw alone (gamma 0.25, delta 2, h 4 self), for scale'] = quality(kgw, plain)
  }
  for (const cfg of CONFIGS) {
    const t0 = performance.now()
    const rows: Record<string, Cell> = {}
    const nll: number[] = []
    for (let d = 0; d < docs; d++) {
      const wm = createWatermarker(generateKey(cfg.spec, { secret: secretFor(d, 1) }))
      const payload = account(d)
      const g = generate(model, { key: wm, payload, prompt, maxTokens: 400, seed: d, stopAtEnd: false, ...sampling })
      nll.push(nllOf(g.ids))
      const registry = Array.from({ length: 1000 }, (_, j) => account(10_000 + j))
      registry[d % 1000] = payload
      for (const attack of ATTACKS) {
        for (const len of LENGTHS) {
          const text = tok.decode(g.ids.subarray(0, len))
          const attacked = attack.strength ? substituteSynonyms(text, attack.strength, d).text : text
          const ids = tok.encode(attacked)
          const key = `${attack.label} @ ${len}`
          const cell = (rows[key] ??= { exact: 0, attributed: 0, attributedRegistry: 0, detected: 0, wrong: 0, n: 0 })
          const f = wm.spec.fingerprint!
          const votes = fingerprintVotes(wm, ids)
          const top = decodeCandidates(f, votes)[0]
          const a = attributeVotes(f, votes)
          const ar = attributeVotes(f, votes, { accounts: registry })
          cell.n++
          if (top?.account === payload) cell.exact++
          if (a?.account === payload) cell.attributed++
          if (ar?.account === payload) cell.attributedRegistry++
          if (detect(ids, wm).detected) cell.detected++
          if (a && a.accounts.some((x) => x.account !== payload)) cell.wrong++
          if (ar && ar.accounts.some((x) => x.account !== payload)) cell.wrong++
        }
      }
    }
    table[cfg.label] = rows
    qualities[cfg.label] = quality(nll, plain)
    log(`  ${cfg.label}: ${docs} answers in ${((performance.now() - t0) / 1000).toFixed(0)} s`)
  }
  return { table, quality: qualities }
}

/** Two accounts' 300-token answers concatenated: are both named? */
function collusion(model: NgramModel, docs: number, sampling: { temperature?: number; topP?: number }, CONFIGS: typeof COMPARISON) {
  const tok = getTokenizer('cl100k_base')
  const prompt = Array.from(tok.encode('The nation'))
  const out: Record<string, { both2p32: number; bothRegistry: number; wrong: number; n: number }> = {}
  for (const cfg of CONFIGS) {
    const r = { both2p32: 0, bothRegistry: 0, wrong: 0, n: 0 }
    for (let d = 0; d < docs; d++) {
      const wm = createWatermarker(generateKey(cfg.spec, { secret: secretFor(d, 2) }))
      const a = account(100 + d), b = account(200 + d)
      const x = generate(model, { key: wm, payload: a, prompt, maxTokens: 300, seed: 500 + d, stopAtEnd: false, ...sampling }).ids
      const y = generate(model, { key: wm, payload: b, prompt, maxTokens: 300, seed: 900 + d, stopAtEnd: false, ...sampling }).ids
      const votes = fingerprintVotes(wm, Uint32Array.from([...x, ...y]))
      const f = wm.spec.fingerprint!
      const registry = Array.from({ length: 1000 }, (_, j) => account(20_000 + j))
      registry[1] = a
      registry[2] = b
      const names = (r2: ReturnType<typeof attributeVotes>) => new Set(r2?.accounts.map((e) => e.account) ?? [])
      const full = names(attributeVotes(f, votes))
      const reg = names(attributeVotes(f, votes, { accounts: registry }))
      r.n++
      if (full.has(a) && full.has(b)) r.both2p32++
      if (reg.has(a) && reg.has(b)) r.bothRegistry++
      for (const s of [full, reg]) for (const acc of s) if (acc !== a && acc !== b) r.wrong++
    }
    out[cfg.label] = r
  }
  return out
}

/** An account whose codeword agrees with `writer`'s at k - 1 = 3 positions: the hardest innocent. */
function neighbour(wm: Watermarker, writer: number, salt: number): number {
  const f = wm.spec.fingerprint!
  const cw = accountCodeword(f, writer)
  const pos = [salt % 32, (salt + 5) % 32, (salt + 13) % 32, (salt + 22) % 32]
  const vals = [cw[pos[0]], cw[pos[1]], cw[pos[2]], (cw[pos[3]] + 1 + (salt % 255)) % 256]
  const m = rsFromPositions(fingerprintCode(f), pos, vals)
  return m[0] + m[1] * 256 + m[2] * 65536 + m[3] * 16777216
}

/**
 * False attribution: trials on held-out human text and on text fingerprinted for
 * another account, each against a registry of 1,000 innocent accounts that
 * includes 10 codeword neighbours of the writer; plus full 2^32 decoding trials.
 */
function falseAttribution(trials: number, decodeTrials: number, log: (s: string) => void) {
  const t0 = performance.now()
  const human = tokenizeDocuments(splitCorpus().heldOut)
  const chunks: Uint32Array[] = []
  for (const d of human) for (let i = 0; i + 200 <= d.length; i += 200) chunks.push(d.subarray(i, i + 200))
  // Fingerprinted text for other accounts: a fast synthetic model (the bound does
  // not depend on the model), 200 tokens each, reused across registries.
  const V = 4000
  const synth = createSyntheticModel({ vocabSize: V, seed: 9 })
  const texts: Array<{ wm: Watermarker; ids: Uint32Array; writer: number }> = []
  const nTexts = Math.max(50, Math.round(trials / 100))
  for (let t = 0; t < nTexts; t++) {
    const wm = createWatermarker(generateKey({ scheme: 'gumbel', vocabSize: V, fingerprint: { bits: 32 } }, { secret: secretFor(t, 3) }))
    const writer = account(30_000 + t)
    const s = wm.session({ prompt: [t % V, 1, 2, 3], payload: writer })
    const rnd = seededRandom(t)
    const ctx = [t % V, 1, 2, 3]
    const lg = new Float32Array(V)
    for (let i = 0; i < 200; i++) ctx.push(s.sample(synth.logits(ctx, lg), { random: rnd }))
    texts.push({ wm, ids: Uint32Array.from(ctx.slice(4)), writer })
  }
  // Each text's votes are the same in every trial that reuses it.
  const textVotes = texts.map((x) => fingerprintVotes(x.wm, x.ids))
  const rnd = seededRandom(77)
  const humanWm = Array.from({ length: 50 }, (_, i) => createWatermarker(generateKey({ scheme: 'gumbel', fingerprint: { bits: 32 } }, { secret: secretFor(i, 4) })))
  // 100 fixed registries of 1,000 random accounts (their codewords are computed once);
  // a trial on another account's text swaps the writer's 10 codeword neighbours in.
  const registries = Array.from({ length: 100 }, () => Array.from({ length: 1000 }, () => Math.floor(rnd() * 2 ** 32)))
  const res = { humanTrials: 0, humanWrong: 0, otherTrials: 0, otherWrong: 0, decodeHumanTrials: 0, decodeOtherTrials: 0, decodeWrong: 0, minLog10P: 0 }
  for (let t = 0; t < trials; t++) {
    const isHuman = t % 2 === 0
    const src = isHuman ? { wm: humanWm[t % humanWm.length], ids: chunks[(t >> 1) % chunks.length], writer: -1 } : texts[(t >> 1) % texts.length]
    const f = src.wm.spec.fingerprint!
    const votes = isHuman ? fingerprintVotes(src.wm, src.ids) : textVotes[(t >> 1) % texts.length]
    const base = registries[t % registries.length]
    let a = attributeVotes(f, votes, { accounts: base })
    if (!isHuman && !a) {
      // The hardest innocents: accounts sharing 3 codeword bytes with the writer.
      const neighbours = Array.from({ length: 10 }, (_, j) => neighbour(src.wm, src.writer, t + j * 3))
      a = attributeVotes(f, votes, { accounts: [...neighbours, ...base.slice(10)] })
    }
    if (isHuman) res.humanTrials++
    else res.otherTrials++
    if (a) {
      if (isHuman) res.humanWrong++
      else res.otherWrong++
    }
  }
  for (let t = 0; t < decodeTrials; t++) {
    const isHuman = t % 2 === 0
    const src = isHuman ? { wm: humanWm[t % humanWm.length], ids: chunks[(t * 7) % chunks.length], writer: -1 } : texts[t % texts.length]
    const a = attributeVotes(src.wm.spec.fingerprint!, fingerprintVotes(src.wm, src.ids))
    if (isHuman) res.decodeHumanTrials++
    else res.decodeOtherTrials++
    if (a && a.accounts.some((x) => x.account !== src.writer)) res.decodeWrong++
  }
  log(`  false attribution: ${trials} registry trials + ${decodeTrials} decoding trials in ${((performance.now() - t0) / 1000).toFixed(0)} s`)
  return res
}

const pct = (x: number, n: number) => (n ? `${((100 * x) / n).toFixed(1)}%` : '-')

export function runFingerprintEval(options: FingerprintEvalOptions, log: (s: string) => void = console.log) {
  const outDir = evalOutDir('fingerprint', options.quick, options.outDir)
  const model = loadOrTrainDefaultModel()
  const docs = options.docs ?? (options.quick ? 8 : 100)
  const trials = options.trials ?? (options.quick ? 2000 : 100_000)
  const sampling = { temperature: options.temperature ?? 1, topP: options.topP ?? 1 }
  const where = `temperature ${sampling.temperature}${sampling.topP < 1 ? `, top-p ${sampling.topP}` : ', full vocabulary'}`
  log(`fingerprint eval (${options.quick ? 'quick' : 'full'}, ${where}): ${docs} answers per configuration`)
  const configs = [DEFAULT_CONFIG, ...(options.compare ? COMPARISON : [])]
  const { table, quality } = rates(model, docs, sampling, configs, log)
  const col = collusion(model, options.quick ? 3 : 10, sampling, configs)
  const fa = falseAttribution(trials, options.quick ? 100 : 2000, log)
  const report = { docs, sampling, table, quality, collusion: col, falseAttribution: fa }
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, 'fingerprint.json'), `${JSON.stringify(report, null, 2)}\n`)
  const flags = `${options.quick ? ' --quick' : ''}${options.docs ? ` --docs ${options.docs}` : ''}${options.compare ? ' --compare' : ''}${sampling.temperature !== 1 ? ` --temperature ${sampling.temperature}` : ''}${sampling.topP < 1 ? ` --top-p ${sampling.topP}` : ''}`
  const md: string[] = ['# Fingerprint evaluation', '', `Generated by \`pnpm lab eval-fingerprint${flags}\`: ${docs} answers per configuration from the reference model (prompt "The nation", ${where}), 32-bit payloads, RS(32, 4) over GF(256).`, '']
  md.push('Exact match = the decoder\'s top candidate is the true account. Attributed = the account is *named*: its trimmed test passes alpha = 1e-6 after the union bound over all 2^32 accounts, or over a registry of 1,000. Zero-bit = the watermark is detected (p < 1e-6) without knowing the account.', '')
  for (const [cfg, rows] of Object.entries(table)) {
    md.push(`## ${cfg}`, '', '| attack | tokens | exact match | attributed (2^32) | attributed (registry 1,000) | zero-bit detected | wrong account named |', '|---|---|---|---|---|---|---|')
    for (const [k, c] of Object.entries(rows)) {
      const [attack, len] = k.split(' @ ')
      md.push(`| ${attack} | ${len} | ${pct(c.exact, c.n)} | ${pct(c.attributed, c.n)} | ${pct(c.attributedRegistry, c.n)} | ${pct(c.detected, c.n)} | ${c.wrong} |`)
    }
    md.push('')
  }
  md.push(`## Quality (perplexity of 400-token answers under the unwatermarked model, ${where})`, '', 'The interval is the 95% normal interval of the ratio, with answers as units (see `quality()` in `packages/lab/src/fingerprint-eval/index.ts`).', '', '| configuration | perplexity | ratio | 95% interval |', '|---|---|---|---|')
  for (const [k, v] of Object.entries(quality)) md.push(`| ${k} | ${v.perplexity.toFixed(1)} | ${v.ratio.toFixed(3)} | ${k === 'no watermark' ? '-' : `${v.ratioLow.toFixed(3)} – ${v.ratioHigh.toFixed(3)}`} |`)
  md.push('', '## Collusion (two accounts, 300 tokens each, concatenated)', '', '| configuration | both named (2^32) | both named (registry) | wrong accounts named |', '|---|---|---|---|')
  for (const [k, c] of Object.entries(col)) md.push(`| ${k} | ${pct(c.both2p32, c.n)} | ${pct(c.bothRegistry, c.n)} | ${c.wrong} |`)
  md.push('', '## False attribution (race fingerprint, the default)', '', `| trials | setting | wrong account named |`, '|---|---|---|')
  md.push(`| ${fa.humanTrials} | held-out human text, registry of 1,000 | ${fa.humanWrong} |`)
  md.push(`| ${fa.otherTrials} | text fingerprinted for another account, registry of 1,000 incl. 10 codeword neighbours | ${fa.otherWrong} |`)
  md.push(`| ${fa.decodeHumanTrials} | human text, full 2^32 decoding | ${fa.decodeWrong === 0 ? 0 : 'see json'} |`)
  md.push(`| ${fa.decodeOtherTrials} | another account's text, full 2^32 decoding | (total wrong in decoding trials: ${fa.decodeWrong}) |`)
  md.push('', 'Bound: each named account passed a test whose p-value is valid for human text and for text of any other account (trimmed statistic, see `packages/detector/src/attribution.ts`), union-bounded over every account that could have been named. So P(any wrong account named in one trial) <= alpha = 1e-6, and the expected number over all trials above is <= ' + ((fa.humanTrials + fa.otherTrials + fa.decodeHumanTrials + fa.decodeOtherTrials) * 1e-6).toFixed(3) + '.')
  writeFileSync(join(outDir, 'fingerprint.md'), `${md.join('\n')}\n`)
  log(md.join('\n'))
  return report
}
