import type { WatermarkSpec } from '@tracemark/watermark'
import type { Attribution } from '../attribution.js'
import type { DetectionResult } from '../detect.js'
import type { ProbeResult } from '../probe/probe.js'
import { plural } from '../text/plural.js'
import { describeLocation, type DocumentResult, type ScanSummary } from '../scan/types.js'

/** The public parameters of a spec on one line, e.g. `kgw gamma=0.25 delta=2 h=4 seeding=self`. */
export function describeSpec(spec: WatermarkSpec): string {
  const params = Object.entries(spec)
    .filter(([k]) => k !== 'scheme' && k !== 'tokenizer' && k !== 'vocabSize' && k !== 'tokenizerSha256')
    .map(([k, v]) => (typeof v === 'object' ? `${k}=${Object.entries(v).map(([a, b]) => `${a}:${b}`).join(',')}` : `${k}=${v}`))
  // A tokenizer.json key names its vocabulary (short hash: the full one is in --json and the key file).
  const vocab = spec.tokenizerSha256 ? [`tokenizer=${spec.tokenizer}@${spec.tokenizerSha256.slice(0, 12)}`] : []
  return [spec.scheme, ...params, ...vocab].join(' ')
}

/** A p-value for humans: scientific notation, and a power of ten once it underflows. */
export function formatP(pValue: number, log10P: number): string {
  if (pValue === 0 || log10P < -300) return `10^${log10P.toFixed(1)}`
  if (pValue < 1e-3) return pValue.toExponential(2)
  return pValue.toPrecision(3)
}

/** The attribution block of a verdict. */
export function formatAttribution(a: Attribution | null, tokens: number): string {
  if (!a) return `no account attributed (${plural(tokens, 'token')}): no account passes the corrected test`
  const lines = [
    `attributed to account ${a.account}: p = ${formatP(a.pValue, a.log10PValue)} (corrected for ${plural(a.candidates, 'account')})`,
    // Race keys score each tuple (a real number); colour-bias keys count matching tuples.
    Number.isInteger(a.votes)
      ? `  votes     ${a.votes} of ${a.scored} unique tuples match its codeword (${a.testedVotes} tested; ${(a.nullRate * a.scored).toFixed(1)} expected by chance)`
      : `  score     ${a.votes.toFixed(1)} over ${a.scored} unique tuples under its codeword (${a.testedVotes.toFixed(1)} tested; ${(a.nullRate * a.scored).toFixed(1)} expected by chance)`,
  ]
  for (const o of a.accounts.slice(1)) {
    lines.push(`  also      account ${o.account}: p = ${formatP(o.pValue, o.log10PValue)}, ${o.votes} votes`)
  }
  return lines.join('\n')
}

export function formatVerdict(r: DetectionResult, spec: WatermarkSpec): string {
  const p = formatP(r.pValue, r.log10PValue)
  const head = r.detected
    ? `watermark DETECTED: p = ${p} < alpha = ${r.alpha}`
    : `no watermark detected: p = ${p} (alpha = ${r.alpha})`
  return [
    head,
    `  key       ${r.keyId} (${describeSpec(spec)})`,
    `  tokens    ${r.tokens} in the text, ${plural(r.scored, 'unique (context, token) tuple')} scored`,
    `  score     ${Number.isInteger(r.score) ? r.score : r.score.toFixed(2)} (expected ${r.expected.toFixed(1)} if unwatermarked), z = ${r.zScore.toFixed(2)}`,
    `  null      ${r.nullHypothesis}`,
    ...(r.attribution === undefined ? [] : [formatAttribution(r.attribution, r.tokens)]),
  ].join('\n')
}

/** One flagged document, for the human-readable scan output. */
export function formatDocumentLine(r: DocumentResult & { file: string; line?: number; row?: number }): string {
  const where = describeLocation(r)
  const acc = r.attribution ? `  account ${r.attribution.accounts.join(', ')}` : ''
  const span = r.span && r.span.log10PValue < r.log10PValue ? `  span tokens ${r.span.start}-${r.span.end} p = ${formatP(r.span.pValue, r.span.log10PValue)}` : ''
  return `${where}  p = ${formatP(r.pValue, r.log10PValue)}  ${plural(r.tokens, 'token')}${span}${acc}`
}

/** The corpus summary, for the human-readable scan output. */
export function formatSummary(s: ScanSummary & { fdrProcedure?: string }): string {
  const lines = [
    `${plural(s.documents, 'document')}, ${plural(s.tokens, 'token')} in ${s.seconds.toFixed(1)} s; ${plural(s.errorCount, 'input error')}`,
    `flagged at FDR ${s.fdr} (${s.fdrProcedure ?? 'Benjamini-Hochberg'}): ${plural(s.flagged, 'document')}`,
    `pooled test for the corpus: p = ${formatP(s.pooledPValue, s.pooledLog10PValue)}`,
  ]
  if (s.commonTuples) {
    const c = s.commonTuples
    lines.push(`common tuples not scored: ${c.excluded.join(' / ')} (found in >= ${c.minDocuments} of the first ${c.sampledDocuments} distinct documents; --common-tuples off to score them)`)
  }
  for (const a of s.accounts) lines.push(`  account ${a.account}: ${plural(a.documents, 'flagged document')}`)
  return lines.join('\n')
}

/** The verdict of `tracemark probe`. */
export function formatProbe(r: ProbeResult, endpoint: string): string {
  const p = formatP(r.pValue, r.log10PValue)
  const head = r.radioactive
    ? `RADIOACTIVE: ${endpoint} was trained on text watermarked with ${r.keyId}: p = ${p} < alpha = ${r.alpha}`
    : `not radioactive: no trace of ${r.keyId} in ${endpoint}: p = ${p} (alpha = ${r.alpha})`
  const lines = [
    head,
    `  queried   ${plural(r.queriedTokens, 'token')} in ${plural(r.answers, 'answer')} to ${plural(r.prompts, 'prompt')}`,
    `  scored    ${plural(r.scored, 'unique (window, token) tuple')}; ${plural(r.duplicates, 'repeat')} counted once, ${plural(r.excludedInput, 'prompt tuple')} excluded`,
    `  score     ${Number.isInteger(r.score) ? r.score : r.score.toFixed(2)} (expected ${r.expected.toFixed(1)} if the model never saw the watermark)`,
    `  null      ${r.nullHypothesis}`,
  ]
  if (r.attribution !== undefined) {
    lines.push(r.attribution ? formatAttribution(r.attribution, r.scored).replace(/^attributed to/, 'fingerprint of') : 'no account\'s fingerprint shows through')
  }
  return lines.join('\n')
}
