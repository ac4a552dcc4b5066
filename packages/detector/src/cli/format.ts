import type { WatermarkSpec } from '@tracemark/watermark'
import type { DetectionResult } from '../detect.js'

/** The public parameters of a spec on one line, e.g. `kgw gamma=0.25 delta=2 h=4 seeding=self`. */
export function describeSpec(spec: WatermarkSpec): string {
  const params = Object.entries(spec)
    .filter(([k]) => k !== 'scheme' && k !== 'tokenizer' && k !== 'vocabSize')
    .map(([k, v]) => `${k}=${v}`)
  return [spec.scheme, ...params].join(' ')
}

/** A p-value for humans: scientific notation, and a power of ten once it underflows. */
export function formatP(pValue: number, log10P: number): string {
  if (pValue === 0 || log10P < -300) return `10^${log10P.toFixed(1)}`
  if (pValue < 1e-3) return pValue.toExponential(2)
  return pValue.toPrecision(3)
}

export function formatVerdict(r: DetectionResult, spec: WatermarkSpec): string {
  const p = formatP(r.pValue, r.log10PValue)
  const head = r.detected
    ? `watermark DETECTED: p = ${p} < alpha = ${r.alpha}`
    : `no watermark detected: p = ${p} (alpha = ${r.alpha})`
  return [
    head,
    `  key       ${r.keyId} (${describeSpec(spec)})`,
    `  tokens    ${r.tokens} in the text, ${r.scored} unique (context, token) tuples scored`,
    `  score     ${Number.isInteger(r.score) ? r.score : r.score.toFixed(2)} (expected ${r.expected.toFixed(1)} if unwatermarked), z = ${r.zScore.toFixed(2)}`,
    `  null      ${r.nullHypothesis}`,
  ].join('\n')
}
