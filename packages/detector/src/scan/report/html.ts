import { describeLocation, type ScanSummary } from '../types.js'
import type { ReportPiece } from './pieces.js'

/** A flagged document as the report shows it. */
export interface ReportDocument {
  /** 0-based position of the document in the scan. */
  index: number
  /** Where it came from, e.g. "file:line". */
  where: string
  pValue: number
  log10PValue: number
  tokens: number
  account: number | null
  /** The document's text cut into scored pieces (see {@link markedPieces}). */
  pieces: ReportPiece[]
}

export interface ReportInput {
  summary: ScanSummary & { flaggedDocuments: number[]; fdrProcedure: string }
  /** The flagged documents to show (at most ~200), strongest first. */
  documents: ReportDocument[]
  /** Public key ids and specs only: a key's secret must never be passed here. */
  keys: Array<{ keyId: string; spec: object }>
  /** When the report was made (ISO 8601). */
  generatedAt: string
}

/** Rows of the input-errors table before the rest is summarized in one line. */
export const MAX_ERROR_ROWS = 500

const HIST_BINS = 20

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—')

/**
 * A p-value as HTML. Small ones are written m × 10^e from log10PValue, which
 * stays exact when the p-value itself underflows to 0.
 */
export function formatPValue(pValue: number, log10PValue: number): string {
  if (pValue >= 1e-4 && pValue <= 1) return Number(pValue.toPrecision(3)).toString()
  const l = Number.isFinite(log10PValue) ? log10PValue : pValue > 0 ? Math.log10(pValue) : -Infinity
  if (!Number.isFinite(l)) return '&lt; 10<sup>−308</sup>'
  let e = Math.floor(l)
  let m = Number((10 ** (l - e)).toFixed(2))
  if (m >= 10) {
    m /= 10
    e += 1
  }
  return `${m === 1 ? '' : `${m.toFixed(2).replace(/\.?0+$/, '')} × `}10<sup>${e < 0 ? '−' : ''}${Math.abs(e)}</sup>`
}

function histogramSvg(counts: number[]): string {
  const bins = Array.from({ length: HIST_BINS }, (_, i) => counts[i] ?? 0)
  const total = bins.reduce((a, b) => a + b, 0)
  const W = 640
  const H = 240
  const L = 56 // left margin (y labels)
  const B = 40 // bottom margin (x labels)
  const T = 12
  const R = 12
  const pw = W - L - R
  const ph = H - T - B
  const max = Math.max(1, ...bins, total / HIST_BINS)
  // A round top for the y axis.
  const step = 10 ** Math.floor(Math.log10(max))
  const top = Math.ceil(max / step) * step
  const y = (v: number) => T + ph - (v / top) * ph
  const bw = pw / HIST_BINS
  const parts: string[] = []
  parts.push(`<svg class="hist" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Histogram of document p-values">`)
  // Axes and y grid.
  for (const v of [0, top / 2, top]) {
    parts.push(`<line class="grid" x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`)
    parts.push(`<text class="tick" x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${int(v)}</text>`)
  }
  for (let i = 0; i < HIST_BINS; i++) {
    const h = (bins[i] / top) * ph
    parts.push(
      `<rect class="bar" x="${(L + i * bw + 1).toFixed(1)}" y="${(T + ph - h).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}">` +
        `<title>p in [${(i / HIST_BINS).toFixed(2)}, ${((i + 1) / HIST_BINS).toFixed(2)}): ${int(bins[i])} documents</title></rect>`,
    )
  }
  if (total > 0) {
    const e = y(total / HIST_BINS).toFixed(1)
    parts.push(`<line class="null" x1="${L}" x2="${W - R}" y1="${e}" y2="${e}"><title>expected count per bin under the null: ${(total / HIST_BINS).toFixed(1)}</title></line>`)
  }
  parts.push(`<line class="axis" x1="${L}" x2="${W - R}" y1="${T + ph}" y2="${T + ph}"/>`)
  parts.push(`<line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${T + ph}"/>`)
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<text class="tick" x="${(L + v * pw).toFixed(1)}" y="${T + ph + 16}" text-anchor="middle">${v}</text>`)
  }
  parts.push(`<text class="label" x="${L + pw / 2}" y="${H - 4}" text-anchor="middle">document p-value</text>`)
  parts.push(`<text class="label" x="14" y="${T + ph / 2}" text-anchor="middle" transform="rotate(-90 14 ${T + ph / 2})">documents</text>`)
  parts.push('</svg>')
  return parts.join('\n')
}

/** A document's text, with runs of equal marks merged into one element. */
function markedText(pieces: ReportPiece[]): string {
  let out = ''
  let i = 0
  while (i < pieces.length) {
    const mark = pieces[i].mark
    let run = ''
    while (i < pieces.length && pieces[i].mark === mark) run += pieces[i++].text
    const t = escapeHtml(run)
    out += mark === 1 ? `<mark>${t}</mark>` : mark === null ? `<span class="u">${t}</span>` : t
  }
  return out
}

const CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #59636e; --line: #d1d9e0; --bg-alt: #f6f8fa; --green: #b7ebc0; --bar: #3b6ea8; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 2rem 1.5rem 4rem; color: var(--fg); background: #fff;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 1.75rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2.5rem 0 .75rem; padding-bottom: .3rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 0; }
p, figcaption { max-width: 48rem; }
.muted, figcaption { color: var(--muted); }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: .875em; }
pre { background: var(--bg-alt); padding: .75rem 1rem; border-radius: 6px; overflow-x: auto; margin: .25rem 0 1rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .35rem .9rem .35rem 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
td.num, th.num { text-align: right; padding-right: 1.5rem; }
table.kv th { font-weight: 500; color: var(--muted); padding-right: 2rem; }
figure { margin: 1rem 0; }
svg.hist { max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg .bar { fill: var(--bar); }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .axis { stroke: var(--fg); stroke-width: 1; }
svg .null { stroke: #c2410c; stroke-width: 1.5; stroke-dasharray: 6 4; }
svg .tick { fill: var(--muted); }
svg .label { fill: var(--fg); }
article.doc { border: 1px solid var(--line); border-radius: 8px; margin: 1rem 0 1.5rem; overflow: hidden; }
article.doc header { background: var(--bg-alt); padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
article.doc dl { display: flex; flex-wrap: wrap; gap: .25rem 1.5rem; margin: .3rem 0 0; font-size: .9rem; }
article.doc dt { color: var(--muted); display: inline; }
article.doc dd { display: inline; margin: 0 0 0 .35rem; font-variant-numeric: tabular-nums; }
.text { padding: .9rem 1rem; white-space: pre-wrap; overflow-wrap: anywhere; font-family: Georgia, "Times New Roman", serif; font-size: 1.02rem; line-height: 1.7; max-height: 40rem; overflow-y: auto; }
mark { background: var(--green); color: inherit; border-radius: 2px; }
.u { color: #8c959f; }
.legend mark, .legend .u { padding: 0 .3rem; }
a { color: #0a5ccc; }
footer { margin-top: 3rem; font-size: .85rem; }
`

/**
 * The self-contained HTML report of a scan: inline CSS and SVG, no scripts,
 * fonts, images or network references (a Content-Security-Policy forbids them
 * too), so it can be archived and opened offline as evidence.
 */
export function renderReport(input: ReportInput): string {
  const { summary: s, documents, keys, generatedAt } = input
  const e = escapeHtml
  const out: string[] = []
  const seconds = s.seconds > 0 ? s.seconds : NaN
  const flaggedLine = `${int(s.flagged)} at FDR q = ${e(String(s.fdr))} (${e(s.fdrProcedure)})`

  out.push('<!doctype html>')
  out.push('<html lang="en"><head><meta charset="utf-8">')
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`)
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">')
  out.push(`<title>tracemark scan report — ${int(s.flagged)} of ${int(s.documents)} documents flagged</title>`)
  out.push(`<style>${CSS}</style></head><body>`)

  out.push('<header><h1>tracemark scan report</h1>')
  out.push(`<p class="muted">Generated <time datetime="${e(generatedAt)}">${e(generatedAt)}</time></p></header>`)

  // Summary.
  out.push('<section id="summary"><h2>Summary</h2><table class="kv"><tbody>')
  const kv = (k: string, v: string) => out.push(`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)
  kv('Documents scanned', int(s.documents))
  kv('Flagged documents', flaggedLine)
  kv('Input errors', `${int(s.errorCount)}${s.errors.length ? ' (<a href="#errors">listed below</a>)' : ''}`)
  kv('Pooled corpus p-value', formatPValue(s.pooledPValue, s.pooledLog10PValue))
  if (s.commonTuples) {
    const c = s.commonTuples
    kv('Common tuples', `${c.excluded.map(int).join(' / ')} dropped: found in at least ${int(c.minDocuments)} of the first ${int(c.sampledDocuments)} distinct documents`)
  }
  kv('Tokens', int(s.tokens))
  kv('Text', `${(s.bytes / 1e6).toFixed(2)} MB`)
  kv('Time', `${Number.isFinite(seconds) ? seconds.toFixed(1) : '—'} s`)
  kv(
    'Throughput',
    Number.isFinite(seconds)
      ? `${int(s.documents / seconds)} documents/s · ${int(s.tokens / seconds)} tokens/s · ${(s.bytes / 1e6 / seconds).toFixed(2)} MB/s`
      : '—',
  )
  out.push('</tbody></table>')
  out.push(
    `<p class="muted">A document's p-value is the probability that text written without the key scores at least as high; it is corrected for the number of keys. Documents are flagged by the ${e(s.fdrProcedure)} procedure, which keeps the expected fraction of false flags among the flagged at most ${e(String(s.fdr))}. The pooled p-value tests the corpus as a whole.</p>`,
  )
  out.push('</section>')

  // Keys.
  out.push('<section id="keys"><h2>Keys</h2>')
  out.push('<p class="muted">Key ids are public commitments to the secret keys; the specs are the public test parameters. No secret is included in this report.</p>')
  if (keys.length === 0) out.push('<p>No keys.</p>')
  for (const k of keys) {
    out.push(`<h3 class="mono">${e(k.keyId)}</h3><pre>${e(JSON.stringify(k.spec, null, 2))}</pre>`)
  }
  out.push('</section>')

  // Histogram.
  out.push('<section id="histogram"><h2>Document p-values</h2><figure>')
  out.push(histogramSvg(s.pHistogram))
  out.push(
    '<figcaption>Counts of document p-values in 20 equal bins of [0, 1]. Under the null hypothesis (no watermark) p-values are uniform, so the histogram is flat, around the dashed line; watermarked documents pile up in the leftmost bin.</figcaption>',
  )
  out.push('</figure></section>')

  // Accounts.
  const shownByAccount = new Map<number, number[]>()
  for (const d of documents) if (d.account !== null) shownByAccount.set(d.account, [...(shownByAccount.get(d.account) ?? []), d.index])
  out.push('<section id="accounts"><h2>Accounts</h2>')
  if (s.accounts.length === 0) {
    out.push('<p>No flagged document was attributed to an account.</p>')
  } else {
    out.push('<table><thead><tr><th>Account</th><th class="num">Flagged documents</th><th>Shown below</th></tr></thead><tbody>')
    for (const a of s.accounts) {
      const shown = (shownByAccount.get(a.account) ?? []).slice(0, 20)
      const links = shown.map((i) => `<a href="#doc-${i}">#${i}</a>`).join(' ')
      out.push(`<tr><td class="mono">${a.account}</td><td class="num">${int(a.documents)}</td><td>${links}</td></tr>`)
    }
    out.push('</tbody></table>')
  }
  out.push('</section>')

  // Input errors.
  out.push('<section id="errors"><h2>Input errors</h2>')
  if (s.errors.length === 0) {
    out.push('<p>None: every input record was read.</p>')
  } else {
    out.push('<table><thead><tr><th>Location</th><th>Reason</th></tr></thead><tbody>')
    for (const err of s.errors.slice(0, MAX_ERROR_ROWS)) out.push(`<tr><td class="mono">${e(describeLocation(err))}</td><td>${e(err.reason)}</td></tr>`)
    out.push('</tbody></table>')
    if ((s.errorCount) > Math.min(MAX_ERROR_ROWS, s.errors.length)) out.push(`<p class="more">... ${int((s.errorCount) - Math.min(MAX_ERROR_ROWS, s.errors.length))} more</p>`)
  }
  out.push('</section>')

  // Flagged documents.
  out.push('<section id="documents"><h2>Flagged documents</h2>')
  if (documents.length === 0) {
    out.push('<p>No document was flagged.</p>')
  } else {
    const of = s.flaggedDocuments.length > documents.length ? ` (the ${int(documents.length)} strongest of ${int(s.flaggedDocuments.length)})` : ''
    out.push(`<p>Showing ${int(documents.length)} flagged document${documents.length === 1 ? '' : 's'}${of}, strongest first.</p>`)
    out.push('<p class="legend muted"><mark>green</mark> tokens scored as watermark evidence; plain tokens were scored but are not evidence; <span class="u">grey</span> tokens were not scored (no full context window yet, or a repeat).</p>')
    for (const d of documents) {
      out.push(`<article class="doc" id="doc-${d.index}"><header><h3>Document #${d.index} · <span class="mono">${e(d.where)}</span></h3><dl>`)
      out.push(`<div><dt>p-value</dt><dd>${formatPValue(d.pValue, d.log10PValue)}</dd></div>`)
      out.push(`<div><dt>tokens</dt><dd>${int(d.tokens)}</dd></div>`)
      out.push(`<div><dt>account</dt><dd>${d.account === null ? '—' : String(d.account)}</dd></div>`)
      const scored = d.pieces.filter((p) => p.mark !== null).length
      if (scored > 0) {
        const green = d.pieces.filter((p) => p.mark === 1).length
        out.push(`<div><dt>evidence</dt><dd>${int(green)} of ${int(scored)} scored pieces (${((100 * green) / scored).toFixed(0)}%)</dd></div>`)
      }
      out.push(`</dl></header><div class="text">${markedText(d.pieces)}</div></article>`)
    }
  }
  out.push('</section>')

  out.push('<footer class="muted">Made by tracemark scan. This page is self-contained: it loads nothing and runs no scripts.</footer>')
  out.push('</body></html>')
  return `${out.join('\n')}\n`
}
