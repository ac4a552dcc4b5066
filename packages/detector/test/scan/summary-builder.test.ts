import { parseKey, seededRandom } from '@tracemark/watermark'
import { describe, expect, it } from 'vitest'
import { markedCorpus } from '../helpers/marked-corpus.js'
import { benjaminiHochbergLog } from '../../src/stats/fdr.js'
import { createSummaryBuilder } from '../../src/scan/summary-builder.js'
import { testStatistic } from '../../src/detect.js'
import { toPValue } from '../../src/stats/tails.js'

// Seeded document records: most p-values uniform, a tenth tiny, and an error line
// now and then (errors are not documents and take no position).
function records(seed: number, m: number) {
  let s = seed
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32
  const lines: string[] = []
  const log10P: number[] = []
  const accounts: number[][] = []
  for (let i = 0; lines.length < m; ) {
    if (next() < 0.02) {
      lines.push(JSON.stringify({ type: 'error', file: 'c.jsonl', line: lines.length + 1, reason: 'bad JSON' }))
      continue
    }
    const p = next() < 0.1 ? next() ** 8 : next()
    const l = Math.log10(p)
    const account = next() < 0.5 ? [Math.floor(next() * 5)] : null
    log10P.push(l)
    accounts.push(account ?? [])
    const attribution = account ? { account: account[0], votes: 3, pValue: 1e-7, log10PValue: -7, accounts: account } : null
    lines.push(JSON.stringify({ type: 'document', file: 'c.jsonl', line: lines.length + 1, index: i++, tokens: 100, scored: 90, keyId: 'k', pValue: p, log10PValue: l, detected: false, span: null, attribution }))
  }
  return { lines, log10P, accounts }
}

describe('the scan summary', () => {
  const keys = [parseKey(markedCorpus().keyTexts[0])]

  it('flags, from the p-values at or below q alone, the documents the whole list flags', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const { lines, log10P, accounts } = records(seed, 2000)
      for (const fdrDependence of ['positive', 'arbitrary'] as const) {
        for (const fdr of [0.01, 0.1]) {
          const b = createSummaryBuilder({ fdr, fdrDependence }, keys)
          for (const l of lines) b.account(JSON.parse(l))
          const s = b.finish(0)
          const whole = benjaminiHochbergLog(log10P.map((x) => x * Math.LN10), fdr, { dependence: fdrDependence })
          const expected = log10P.flatMap((_, i) => (whole.rejected[i] ? [i] : []))
          expect(expected.length).toBeGreaterThan(0)
          expect(s.flaggedDocuments).toEqual(expected)
          expect(s.flagged).toBe(expected.length)
          expect(s.documents).toBe(log10P.length)
          const perAccount = new Map<number, number>()
          for (const i of expected) for (const a of accounts[i]) perAccount.set(a, (perAccount.get(a) ?? 0) + 1)
          expect(new Map(s.accounts.map((a) => [a.account, a.documents]))).toEqual(perAccount)
        }
      }
    }
  })

  it('pools the parts\' best p-value at the Bonferroni price, however the parts arrive', () => {
    // The pooled test is min over parts of the exact log p, plus ln(number of parts):
    // folded as parts arrive, it must equal that formula over the whole list.
    const rnd = seededRandom(4)
    const parts = Array.from({ length: 300 }, () => {
      const n = 50 + Math.floor(rnd() * 5000)
      // The key is kgw with gamma 0.25: a part's score is its count of green tuples.
      return { keyIndex: 0, n, sum: Math.round(n * (0.2 + 0.1 * rnd())) }
    })
    const best = Math.min(...parts.map((p) => testStatistic(keys[0].spec, p.n, p.sum).logP))
    const want = toPValue(Math.min(0, best + Math.log(parts.length)))
    expect(want.log10PValue).toBeLessThan(-3)
    for (const grouping of [1, 7, 300]) {
      const b = createSummaryBuilder({}, keys)
      for (let i = 0; i < parts.length; i += grouping) b.addParts(parts.slice(i, i + grouping))
      const s = b.finish(0)
      expect([s.pooledPValue, s.pooledLog10PValue], `${grouping} per call`).toEqual([want.pValue, want.log10PValue])
    }
    expect(createSummaryBuilder({}, keys).finish(0).pooledPValue, 'no parts: no evidence').toBe(1)
  })

  it('accounts a record object exactly as its line read back, non-finite numbers and error records included', () => {
    // The scan accounts the objects it serializes (no parse of its own lines), a resumed
    // scan the lines it replays: both must give one summary, where JSON wrote -Infinity as null.
    const { lines } = records(3, 3000)
    const objects = lines.map((l) => JSON.parse(l))
    objects[5] = { ...objects[5], type: 'document', log10PValue: -Infinity, pValue: 0 }
    objects[9] = { ...objects[9], type: 'document', log10PValue: -400, pValue: 0 }
    for (let i = 0; i < 150; i++) objects.push({ type: 'error', file: 'flood.jsonl', line: i + 1, reason: 'bad JSON' })
    const byLine = createSummaryBuilder({ fdr: 0.1 }, keys)
    const byObject = createSummaryBuilder({ fdr: 0.1 }, keys)
    const warnings: Array<[string | undefined, string | undefined]> = objects.map((r) => [byLine.account(JSON.parse(JSON.stringify(r))), byObject.account(r)])
    for (const [a, b] of warnings) expect(b).toBe(a)
    expect(warnings.filter(([a]) => a !== undefined).length, 'warnings for the first 100 errors of an input, then one line').toBeGreaterThan(101)
    const a = byLine.finish(0)
    expect(a.flaggedDocuments).toContain(9)
    expect(a.flaggedDocuments, 'JSON wrote -Infinity as null, which the line gives back as null').not.toContain(5)
    expect(byObject.finish(0)).toEqual(a)
  })

  it('refuses a false-discovery rate outside (0, 1] before any record', () => {
    for (const fdr of [0, -0.1, 1.5, Number.NaN]) expect(() => createSummaryBuilder({ fdr }, keys)).toThrow(/fdr must be in \(0, 1\]/)
  })
})
