/**
 * `pnpm demo`: distillation on trial, on built-in defaults, in a few minutes.
 *
 *   1. A provider serves the lab's reference model over an OpenAI-compatible API,
 *      watermarked (the default scheme) with a per-account fingerprint.
 *   2. One account distils: it buys answers and trains a student on them mixed
 *      with human text. Another account uses the API honestly.
 *   3. A suspect dataset turns up: some of both accounts' answers among human text.
 *      The investigator scans it (`tracemark scan`) and writes the HTML report.
 *   4-5. The investigator probes the student (`tracemark probe`) and a clean
 *      model trained on the same human text without the answers.
 *
 * Every number printed is computed here; the ground truth (which document is
 * whose) is known only to this script and used only to label the results.
 * The key is fresh each run; TRACEMARK_DEMO_SEED=n derives it from n instead,
 * which makes the whole run reproducible (every request carries a seed).
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { collectAnswers, getTokenizer, type ProbeResult } from '@tracemark/detector'
import { DEFAULT_SCHEME, generateKey, seededRandom, serializeKey } from '@tracemark/watermark'
import { run as tracemark } from '../../detector/src/cli/program.js'
import { formatP, formatProbe } from '../../detector/src/cli/format.js'
import type { DocumentResult, ScanSummary } from '../../detector/src/scan/types.js'
import { splitCorpus, tokenizeDocuments } from './corpus/corpus.js'
import { corpusPrompts } from './corpus/prompts.js'
import { distill } from './distill/distill.js'
import { loadOrTrainDefaultModel } from './model/default.js'
import { trainModel } from './model/ngram.js'
import { takeTokens } from './distill/mix.js'
import { serve } from './serve/server.js'

const ACCOUNTS = { 'sk-demo-alice': 1001, 'sk-demo-bob': 2002, 'sk-demo-mallory': 3003 }
const DISTILL_TOKENS = 10_000
const FRACTION = 0.05
const PROBE_TOKENS = 10_000

const seconds = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(0)} s`
const indent = (s: string) => s.replace(/\n$/, '').replace(/^/gm, '   ')

/** Runs the `tracemark` CLI in-process; returns its exit status and output. */
async function cli(args: string[]): Promise<{ status: number; out: string }> {
  let out = ''
  const status = await tracemark(args, { out: (s) => (out += s), err: (s) => (out += s) })
  return { status, out }
}

/** Human documents cut into paragraphs of about 120 words. */
function paragraphs(docs: ReturnType<typeof splitCorpus>['heldOut'], count: number): string[] {
  const out: string[] = []
  for (const d of docs) {
    const words = d.text.split(/\s+/).filter(Boolean)
    for (let i = 0; i + 120 <= words.length && out.length < count; i += 120) out.push(words.slice(i, i + 120).join(' '))
    if (out.length >= count) break
  }
  return out
}

async function main(): Promise<void> {
  const t0 = performance.now()
  const dir = mkdtempSync(join(tmpdir(), 'tracemark-demo-'))
  console.log('tracemark demo: distillation on trial\n')

  // ---- 1. the provider ----
  const model = loadOrTrainDefaultModel({ log: (m) => console.log(`   ${m}`) })
  const seed = process.env.TRACEMARK_DEMO_SEED
  const rnd = seed === undefined ? null : seededRandom(Number(seed))
  const secret = rnd ? { secret: Uint8Array.from({ length: 32 }, () => Math.floor(rnd() * 256)) } : {}
  const key = generateKey({ scheme: DEFAULT_SCHEME, fingerprint: { bits: 32 } }, secret)
  const keyFile = join(dir, 'key.json')
  writeFileSync(keyFile, serializeKey(key), { mode: 0o600 })
  const accountsFile = join(dir, 'accounts.txt')
  writeFileSync(accountsFile, `${Object.values(ACCOUNTS).join('\n')}\n`)
  const api = await serve({ model, key, accounts: ACCOUNTS, port: 0, topK: 50 })
  console.log(`1. The provider serves its model (4-gram Kneser-Ney over Brown + State of the Union, top-k 50)`)
  console.log(`   at ${api.url}/v1, watermarked with key ${key.keyId}`)
  console.log(`   (${key.spec.scheme}, h = ${(key.spec as { h?: number }).h}; 32-bit fingerprint = the account) for accounts ${Object.values(ACCOUNTS).join(', ')}.\n`)

  // ---- 2. one account distils, another uses the API honestly ----
  const split = splitCorpus()
  const human = tokenizeDocuments(split.heldOut)
  const prompts = corpusPrompts(split.train, { count: 400 })
  const d = await distill({ endpoint: api.url, apiKey: 'sk-demo-mallory', prompts, budget: DISTILL_TOKENS, fraction: FRACTION, human })
  const alice = await collectAnswers({ endpoint: api.url, apiKey: 'sk-demo-alice', prompts: prompts.slice(200), budget: 2_000, maxAnswers: 10 })
  console.log(`2. Account 3003 buys ${d.answers.length} answers (${d.mix.answerTokens} tokens with their prompts) and trains a student`)
  console.log(`   on them plus ${d.mix.humanTokens} tokens of human text: ${(100 * d.mix.fraction).toFixed(1)}% of its training data is our output.`)
  console.log(`   Account 1001 asks ${alice.length} questions of its own. (${seconds(t0)})\n`)

  // ---- 3. a suspect dataset ----
  const leaked = d.answers.slice(0, 30).map((a) => ({ text: a.text, truth: 'account 3003' }))
  const aliceDocs = alice.slice(0, 8).map((a) => ({ text: a.text, truth: 'account 1001' }))
  const humanDocs = paragraphs(split.heldOut.slice(-60), 300).map((text) => ({ text, truth: 'human' }))
  const docs = [...leaked, ...aliceDocs, ...humanDocs]
  // A fixed interleaving, so flagged documents are not all at the top.
  const order = docs.map((_, i) => i).sort((a, b) => ((a * 7919) % 337) - ((b * 7919) % 337))
  const dataset = join(dir, 'suspect.jsonl')
  writeFileSync(dataset, order.map((i) => JSON.stringify({ id: `doc-${i}`, text: docs[i].text })).join('\n') + '\n')
  const report = join(dir, 'report.html')
  console.log(`3. A suspect dataset turns up: ${docs.length} documents (${leaked.length} of account 3003's answers, ${aliceDocs.length} of account 1001's, ${humanDocs.length} human paragraphs).`)
  console.log(`   $ tracemark scan suspect.jsonl --key key.json --accounts accounts.txt --report report.html`)
  const scan = await cli(['scan', dataset, '--key', keyFile, '--accounts', accountsFile, '--report', report, '--workers', '2', '--json'])
  const records = scan.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string })
  const summary = records.find((r) => r.type === 'summary') as ScanSummary
  const results = records.filter((r) => r.type === 'document') as DocumentResult[]
  const tally = new Map<string, { total: number; flagged: number; accounts: Map<number, number> }>()
  results.forEach((r) => {
    const truth = docs[order[r.index]].truth
    const t = tally.get(truth) ?? { total: 0, flagged: 0, accounts: new Map() }
    t.total++
    if (r.detected) {
      t.flagged++
      const a = r.attribution?.account
      if (a !== undefined) t.accounts.set(a, (t.accounts.get(a) ?? 0) + 1)
    }
    tally.set(truth, t)
  })
  for (const [truth, t] of tally) {
    const acc = [...t.accounts].map(([a, n]) => `${n} attributed to ${a}`).join(', ')
    console.log(`   ${truth.padEnd(13)} ${String(t.flagged).padStart(3)} of ${String(t.total).padStart(3)} flagged${acc ? ` (${acc})` : ''}`)
  }
  console.log(`   pooled test of the whole dataset: p = ${formatP(summary.pooledPValue, summary.pooledLog10PValue)}; HTML report: ${report}\n`)

  // ---- 4. probe the student and a clean model ----
  const student = await serve({ model: d.student, watermark: false, accounts: { 'sk-investigator': 0 }, port: 0 })
  // An innocent model: the student's human text, without any of our answers.
  const clean = await serve({ model: trainModel(takeTokens(human, d.mix.humanTokens)), watermark: false, accounts: { 'sk-investigator': 0 }, port: 0 })
  const promptsFile = join(dir, 'account-3003-prompts.txt')
  writeFileSync(promptsFile, [...new Set(d.answers.map((a) => a.prompt))].join('\n') + '\n')
  const probes: Array<[string, ProbeResult]> = []
  const suspects = [['4. Probe the student', student.url], ['5. Probe a clean model (same human text, none of our answers)', clean.url]] as const
  for (const [label, url] of suspects) {
    console.log(`${label}, with the prompts account 3003 sent (the provider's logs):`)
    console.log(`   $ tracemark probe --key key.json --endpoint ${url} --prompts account-3003-prompts.txt --budget ${PROBE_TOKENS} --accounts accounts.txt`)
    const p = await cli(['probe', '--key', keyFile, '--endpoint', url, '--api-key', 'sk-investigator', '--prompts', promptsFile, '--budget', String(PROBE_TOKENS), '--accounts', accountsFile, '--json'])
    const r = JSON.parse(p.out) as ProbeResult
    probes.push([label, r])
    console.log(`${indent(formatProbe(r, url))}\n`)
  }
  await Promise.all([api.close(), student.close(), clean.close()])

  const [s, c] = probes.map(([, r]) => r)
  const flagged = (t: string) => tally.get(t)?.flagged ?? 0
  console.log('Summary (every number computed above):')
  console.log(`   dataset scan      ${flagged('account 3003')}/${leaked.length} of account 3003's answers and ${flagged('account 1001')}/${aliceDocs.length} of account 1001's flagged; ${flagged('human')}/${humanDocs.length} human paragraphs flagged`)
  console.log(`   probe student     p = ${formatP(s.pValue, s.log10PValue)} -> ${s.radioactive ? 'RADIOACTIVE' : 'not radioactive'}; fingerprint: ${s.attribution ? `account ${s.attribution.account} (p = ${formatP(s.attribution.pValue, s.attribution.log10PValue)})` : 'none'}`)
  console.log(`   probe clean model p = ${formatP(c.pValue, c.log10PValue)} -> ${c.radioactive ? 'RADIOACTIVE' : 'not radioactive'}`)
  console.log(`   files in ${dir} (key.json is secret: mode 0600)`)
  console.log(`\ndone in ${seconds(t0)}`)
}

main().catch((e) => {
  console.error(`demo failed: ${(e as Error).message}`)
  process.exit(1)
})
