import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createWatermarker, generateKey, seededRandom } from '@tracemark/watermark'
import { describe, expect, it } from 'vitest'
import { formatPValue, MAX_ERROR_ROWS, renderReport, type ReportInput } from '../../src/scan/report/html.js'
import { markedPieces } from '../../src/scan/report/pieces.js'
import { getTokenizer } from '../../src/text/tokenizer.js'

function input(over: Partial<ReportInput['summary']> = {}): ReportInput {
  const errors = Array.from({ length: 612 }, (_, i) => ({ file: 'corpus/bad.jsonl', line: i + 1, reason: i === 0 ? 'invalid JSON <b>' : 'missing field "text"' }))
  return {
    generatedAt: '2025-01-02T03:04:05.000Z',
    keys: [{ keyId: 'tm1-0123456789abcdef0123456789abcdef', spec: { scheme: 'kgw', gamma: 0.25, delta: 2, h: 1, seeding: 'left', tokenizer: 'cl100k_base', vocabSize: 100277 } }],
    summary: {
      type: 'summary',
      documents: 123457,
      flagged: 3,
      flaggedDocuments: [4, 17, 99],
      fdr: 0.01,
      fdrProcedure: 'Benjamini-Hochberg',
      errors,
      errorCount: (over.errors ?? errors).length,
      errorsListedPerInput: 1000,
      pooledPValue: 0,
      pooledLog10PValue: -1234.5,
      keys: [],
      accounts: [{ account: 424242, documents: 2 }],
      tokens: 9876543,
      bytes: 40_000_000,
      seconds: 20,
      pHistogram: [900, 600, 610, 590, 605, 595, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600],
      commonTuples: { fraction: 0.004, sampledDocuments: 20000, minDocuments: 80, excluded: [1234] },
      ...over,
    },
    documents: [
      {
        index: 17,
        where: 'corpus/a.jsonl:18',
        pValue: 0,
        log10PValue: -412.3,
        tokens: 800,
        account: 424242,
        pieces: [
          { text: 'Hello', mark: null },
          { text: ' <script>alert(1)</script>', mark: 1 },
          { text: ' & "quoted"', mark: 0 },
        ],
      },
      { index: 4, where: 'corpus/a.jsonl:5', pValue: 3.2e-7, log10PValue: Math.log10(3.2e-7), tokens: 300, account: null, pieces: [{ text: 'plain', mark: 0 }] },
    ],
  }
}

describe('renderReport', () => {
  const html = renderReport(input())

  it('shows the summary numbers, keys and tables', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).toContain('2025-01-02T03:04:05.000Z')
    expect(html).toContain('123,457') // documents
    expect(html).toContain('9,876,543') // tokens
    expect(html).toContain('3 at FDR q = 0.01 (Benjamini-Hochberg)')
    expect(html).toContain('612') // error count
    expect(html).toContain('493,827 tokens/s') // throughput
    expect(html).toContain('tm1-0123456789abcdef0123456789abcdef')
    expect(html).toContain('&quot;gamma&quot;: 0.25')
    expect(html).toContain('<td class="mono">424242</td>') // account ids are not digit-grouped
    expect(html).toContain('corpus/a.jsonl:18')
    expect(html).toContain('id="doc-17"')
    expect(html).toContain('the 2 strongest of 3')
  })

  it('formats p-values that underflow from log10', () => {
    expect(html).toContain('5.01 × 10<sup>−413</sup>') // 10^-412.3
    expect(html).toContain('3.2 × 10<sup>−7</sup>')
    expect(html).toContain('3.16 × 10<sup>−1235</sup>') // pooled p underflows to 0
    expect(formatPValue(0.5, Math.log10(0.5))).toBe('0.5')
    expect(formatPValue(1e-5, -5)).toBe('10<sup>−5</sup>')
  })

  it('escapes document text and error reasons', () => {
    expect(html).not.toContain('<script')
    expect(html).toContain('<mark> &lt;script&gt;alert(1)&lt;/script&gt;</mark>')
    expect(html).toContain(' &amp; &quot;quoted&quot;')
    expect(html).toContain('<span class="u">Hello</span>')
    expect(html).toContain('invalid JSON &lt;b&gt;')
    expect(html).not.toContain('<b>')
  })

  it('draws a 20-bar histogram with axis labels and a null caption', () => {
    expect(html.match(/<rect class="bar"/g)).toHaveLength(20)
    expect(html).toContain('>document p-value</text>')
    expect(html).toContain('>0.25</text>')
    expect(html).toMatch(/histogram is flat/)
  })

  it('caps the errors table', () => {
    const errorsSection = html.slice(html.indexOf('id="errors"'), html.indexOf('id="documents"'))
    expect(errorsSection.match(/<tr><td/g)).toHaveLength(MAX_ERROR_ROWS)
    expect(errorsSection).toContain(`... ${612 - MAX_ERROR_ROWS} more`)
    const few = renderReport(input({ errors: [{ file: 'x.jsonl', line: 2, reason: 'bad' }] }))
    expect(few).not.toContain(' more</p>')
    expect(few).toContain('x.jsonl:2')
  })

  it('is self-contained: no scripts and no external references', () => {
    for (const h of [html, renderReport(input({ errors: [], accounts: [], flaggedDocuments: [] }))]) {
      expect(h).not.toMatch(/https?:\/\//i)
      expect(h).not.toMatch(/\bsrc\s*=/i)
      expect(h).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i)
      expect(h).not.toMatch(/\shref="(?!#)/) // only in-page anchors
    }
  })

  it('handles an empty scan', () => {
    const h = renderReport({ ...input({ documents: 0, flagged: 0, flaggedDocuments: [], errors: [], accounts: [], seconds: 0, tokens: 0, bytes: 0, pHistogram: new Array(20).fill(0) }), documents: [] })
    expect(h).toContain('No document was flagged.')
    expect(h.match(/<rect class="bar"/g)).toHaveLength(20)
  })
})

describe('markedPieces', () => {
  const tok = getTokenizer('cl100k_base')
  const text =
    'The committee met on Tuesday to review the budget. The committee met on Tuesday to review the budget. ' +
    'Café crème, naïve façade — 東京で会いましょう 🎉🙂 and <script>alert("x")</script> end.'

  for (const scheme of ['kgw', 'synthid', 'gumbel', 'unigram'] as const) {
    it(`cuts text into pieces that rebuild it exactly (${scheme})`, () => {
      const wm = createWatermarker(generateKey({ scheme }))
      const pieces = markedPieces(wm, tok, text)
      expect(pieces.map((p) => p.text).join('')).toBe(text)
      for (const p of pieces) {
        expect([0, 1, null]).toContain(p.mark)
        expect(p.text).not.toContain('\uFFFD')
        expect(p.text.length).toBeGreaterThan(0)
      }
      // The first token has no full context window (except unigram, which needs none).
      if (scheme !== 'unigram') expect(pieces[0].mark).toBeNull()
      // The repeated sentence's tuples were counted the first time only.
      const nulls = pieces.filter((p) => p.mark === null).length
      expect(nulls).toBeGreaterThan(5)
      expect(pieces.some((p) => p.mark !== null)).toBe(true)
    })
  }

  it('marks watermarked text mostly green', () => {
    // Fixed secrets and a seeded sampler: the outcome is the same on every run.
    const secret = (b: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 17 + b) & 0xff)
    const key = generateKey({ scheme: 'kgw', gamma: 0.25, delta: 4 }, { secret: secret(3) })
    const wm = createWatermarker(key)
    // Logits over a handful of ordinary word tokens, everything else impossible.
    const words = ' the a of and to in is it that was for on are with as his they at be this from have or by one had'.split(/(?= )/)
    const allowed = [...new Set(words.map((w) => tok.encode(w)).filter((ids) => ids.length === 1).map((ids) => ids[0]))]
    expect(allowed.length).toBeGreaterThan(20)
    const logits = new Float32Array(tok.vocabSize).fill(-Infinity)
    for (const id of allowed) logits[id] = 0
    const s = wm.session()
    const ids: number[] = []
    const random = seededRandom(7)
    for (let i = 0; i < 300; i++) ids.push(s.sample(logits, { random }))
    const text = tok.decode(ids)
    const pieces = markedPieces(wm, tok, text)
    expect(pieces.map((p) => p.text).join('')).toBe(text)
    const scored = pieces.filter((p) => p.mark !== null)
    const green = scored.filter((p) => p.mark === 1).length
    expect(green / scored.length).toBeGreaterThan(0.5) // null rate is 0.25
    // And an unrelated key sees it near its null rate.
    const other = markedPieces(createWatermarker(generateKey({ scheme: 'kgw', gamma: 0.25 }, { secret: secret(4) })), tok, text).filter((p) => p.mark !== null)
    expect(other.filter((p) => p.mark === 1).length / other.length).toBeLessThan(0.45)
  })

  it('returns nothing for empty text', () => {
    expect(markedPieces(createWatermarker(generateKey({ scheme: 'kgw' })), tok, '')).toEqual([])
  })
})

describe('report in a real browser', () => {
  it.skipIf(!existsSync('/usr/bin/chromium'))('renders to a screenshot in headless Chromium', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracemark-report-'))
    try {
      const tok = getTokenizer('cl100k_base')
      const wm = createWatermarker(generateKey({ scheme: 'kgw' }))
      const inp = input()
      inp.documents[1].pieces = markedPieces(wm, tok, 'Café crème — 東京で会いましょう 🎉 and a longer sentence to look at.')
      const file = join(dir, 'report.html')
      writeFileSync(file, renderReport(inp))
      const shot = join(dir, 'shot.png')
      execFileSync(
        '/usr/bin/chromium',
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          `--user-data-dir=${join(dir, 'profile')}`,
          `--screenshot=${shot}`,
          '--window-size=1200,2000',
          `file://${file}`,
        ],
        { stdio: 'pipe', timeout: 90_000 },
      )
      expect(existsSync(shot)).toBe(true)
      expect(statSync(shot).size).toBeGreaterThan(10_000)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
