import { probeEndpoint, radioactivityFromAnswers, getTokenizer } from '@tracemark/detector'
import { run as tracemark } from '../../detector/src/cli/program.js'
import { createWatermarker, generateKey, seededRandom, serializeKey } from '@tracemark/watermark'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ksUniform } from '../../detector/src/stats/ks.js'
import { splitCorpus, tokenizeDocuments } from '../src/corpus/corpus.js'
import { corpusPrompts } from '../src/corpus/prompts.js'
import { distill } from '../src/distill/distill.js'
import { mixTrainingData } from '../src/distill/mix.js'
import { generate } from '../src/generate.js'
import { loadOrTrainDefaultModel } from '../src/model/default.js'
import { trainModel, type NgramModel } from '../src/model/ngram.js'
import { serve } from '../src/serve/server.js'
import { run as lab } from '../src/cli/program.js'
import { loadModel } from '../src/model/io.js'

const secret = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 5) & 255)
const key = generateKey({ scheme: 'gumbel', fingerprint: { bits: 32 } }, { secret })
const accounts = { 'sk-honest': 11, 'sk-distiller': 22 }
type Server = { url: string; close(): Promise<void> }
const servers: Server[] = []
let teacher: Server
let human: Uint32Array[]
let prompts: string[]

beforeAll(async () => {
  teacher = await serve({ model: loadOrTrainDefaultModel(), key, accounts, port: 0 })
  servers.push(teacher)
  const split = splitCorpus()
  // ~40k human tokens keep training fast. At this toy scale a 10 % student shows
  // only log10 p ~ -8 in 3k probe tokens, so the test distils at 50 %; the
  // fraction sweep at full scale is `pnpm lab eval-radioactivity` (docs/radioactivity).
  human = tokenizeDocuments(split.heldOut.slice(0, 12))
  prompts = corpusPrompts(split.train, { count: 25 })
})
afterAll(async () => {
  for (const s of servers) await s.close()
})

const serveStudent = async (model: NgramModel) => {
  const s = await serve({ model, watermark: false, accounts: { 'sk-probe': 0 }, port: 0 })
  servers.push(s)
  return s
}

describe('training mix', () => {
  it('hits the requested fraction, trimming whichever side is in excess', () => {
    const doc = (n: number) => new Uint32Array(n)
    const answers = [doc(100), doc(100)]
    const h = [doc(1000), doc(1000), doc(1000)]
    const tenth = mixTrainingData(answers, h, 0.1)
    expect(tenth).toMatchObject({ answerTokens: 200, humanTokens: 1800 })
    expect(tenth.fraction).toBeCloseTo(0.1, 12)
    // Not enough human text for 1 %: answers are dropped instead.
    const onePct = mixTrainingData(answers, h, 0.01)
    expect(onePct).toMatchObject({ humanTokens: 3000, answerTokens: 30 })
    expect(mixTrainingData(answers, h, 0)).toMatchObject({ answerTokens: 0, humanTokens: 3000 })
    expect(mixTrainingData(answers, h, 1)).toMatchObject({ answerTokens: 200, humanTokens: 0 })
    expect(() => mixTrainingData(answers, h, 1.5)).toThrow(/fraction/)
  })
})

describe('distillation on trial, end to end over HTTP', () => {
  it('a student distilled from one account is radioactive and carries that account; a clean model is not', async () => {
    const d = await distill({ endpoint: teacher.url, apiKey: 'sk-distiller', prompts, budget: 4_500, maxTokens: 150, fraction: 0.5, human })
    expect(d.answers.length).toBeGreaterThanOrEqual(25)
    expect(d.mix.fraction).toBeCloseTo(0.5, 3)
    const student = await serveStudent(d.student)
    // The provider's logs give the prompts the account sent.
    const r = await probeEndpoint(key, { endpoint: student.url, apiKey: 'sk-probe', prompts, budget: 3_000, maxTokens: 150, accounts: [11, 22] })
    expect(r.queriedTokens).toBeGreaterThanOrEqual(3_000)
    expect(r.radioactive).toBe(true)
    expect(r.attribution?.account).toBe(22)
    expect(r.attribution?.accounts.map((a) => a.account)).toEqual([22])

    // Same human data, no answers: the probe must not accuse it. Under the null the
    // p-value is uniform, so p > 1e-3 fails a correct test with probability 1e-3.
    const clean = await serveStudent(trainModel(human))
    const c = await probeEndpoint(key, { endpoint: clean.url, apiKey: 'sk-probe', prompts, budget: 3_000, maxTokens: 150, accounts: [11, 22] })
    expect(c.radioactive).toBe(false)
    expect(c.pValue).toBeGreaterThan(1e-3)
    expect(c.attribution).toBeNull()

    // The CLI: exit 0 for the student, 1 for the clean model; the secret never printed.
    const dir = mkdtempSync(join(tmpdir(), 'tm-probe-'))
    const keyFile = join(dir, 'key.json')
    writeFileSync(keyFile, serializeKey(key), { mode: 0o600 })
    const promptFile = join(dir, 'prompts.txt')
    writeFileSync(promptFile, prompts.join('\n'))
    for (const [url, status] of [[student.url, 0], [clean.url, 1]] as const) {
      let out = ''
      const code = await tracemark(['probe', '--key', keyFile, '--endpoint', url, '--api-key', 'sk-probe', '--prompts', promptFile, '--budget', '1500', '--max-tokens', '150'], {
        out: (s) => (out += s),
        err: (s) => (out += s),
      })
      expect(code).toBe(status)
      expect(out).toMatch(status === 0 ? /^RADIOACTIVE/ : /^not radioactive/)
      expect(out).not.toContain(Buffer.from(secret).toString('base64'))
      expect(out).not.toContain('sk-probe')
    }
  }, 240_000)

  it('tracemark-lab distill saves a student that loads and records its mix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tm-distill-'))
    const promptFile = join(dir, 'prompts.jsonl')
    writeFileSync(promptFile, prompts.slice(0, 5).map((prompt) => JSON.stringify({ prompt })).join('\n'))
    let out = ''
    const io = { out: (s: string) => (out += s), err: (s: string) => (out += s) }
    const args = ['distill', '--endpoint', teacher.url, '--api-key', 'sk-distiller', '--prompts', promptFile, '--budget', '600', '--max-tokens', '100', '--fraction', '0.5', '--out', join(dir, 'student')]
    expect(await lab(args, io)).toBe(0)
    expect(out).toMatch(/student saved to .*: \d+ answers to 5 prompts \(\d+ tokens\) \+ \d+ human tokens = 50\.00% answers, order 4/)
    const student = loadModel(join(dir, 'student'))
    expect(student.order).toBe(4)
    expect(student.meta).toMatchObject({ kind: 'distilled student' })
    expect(out).not.toContain('sk-distiller')
    // A bad prompt file is named with its line, and nothing is trained.
    writeFileSync(promptFile, '{"prompt": "ok"}\nnot json\n')
    out = ''
    expect(await lab(args, io)).toBe(2)
    expect(out).toContain(`${promptFile}:2: not valid JSON`)
  })

  it('names the endpoint and status on a rejected API key, never the key', async () => {
    const err = await probeEndpoint(key, { endpoint: teacher.url, apiKey: 'sk-wrong-key', prompts, budget: 100 }).catch((e: Error) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toMatch(/HTTP 401/)
    expect((err as Error).message).toContain(teacher.url)
    expect((err as Error).message).not.toContain('sk-wrong-key')
  })
})

describe('a clean model under many keys', () => {
  it('gives uniform radioactivity p-values', () => {
    // One clean student's answers (the lab n-gram model, T 0.5, fresh prompts) scored
    // with 300 independent keys: the answers do not depend on any key, so each
    // p-value is uniform. KS p > 1e-3 fails a correct test with probability 1e-3;
    // fixed seeds make it deterministic.
    const clean = trainModel(human)
    const tok = getTokenizer('cl100k_base')
    const samples = prompts.slice(0, 15).map((p, i) => {
      const prompt = tok.encode(p)
      return { prompt, answer: generate(clean, { prompt, maxTokens: 100, seed: i, temperature: 0.5, topK: 50 }).ids }
    })
    const rnd = seededRandom(404)
    const ps = Array.from({ length: 300 }, () => {
      const s = Uint8Array.from({ length: 32 }, () => Math.floor(rnd() * 256))
      return radioactivityFromAnswers(createWatermarker(generateKey({ scheme: 'gumbel' }, { secret: s })), samples).pValue
    })
    expect(ksUniform(ps).pValue).toBeGreaterThan(1e-3)
  })
})
