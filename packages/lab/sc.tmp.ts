import { generateKey } from '@tracemark/watermark'
import { createScorer } from '../detector/src/scan/document.js'
for (const len of [500, 2000]) {
  const ids: Uint32Array[] = []
  for (let d = 0; d < 60; d++) { const a = new Uint32Array(len); for (let i = 0; i < len; i++) a[i] = (Math.random() * 50000) | 0; ids.push(a) }
  const rows: string[] = []
  for (const [name, spec, opts] of [['gumbel', { scheme: 'gumbel' }, {}], ['race, quick+gate', { scheme: 'gumbel', fingerprint: { bits: 32 } }, {}], ['race, full', { scheme: 'gumbel', fingerprint: { bits: 32 } }, { fullVotes: true }]] as any[]) {
    const scorer = createScorer([generateKey(spec)], opts)
    let best = Infinity
    for (let r = 0; r < 3; r++) { const t = performance.now(); ids.forEach((x, i) => scorer.scoreIds(new Map([['cl100k_base', x]]), { file: 'x' }, i)); best = Math.min(best, performance.now() - t); scorer.pooled() }
    rows.push(`${name}: ${(len * 60 / best / 1000).toFixed(3)} M tok/s (${(best / 60).toFixed(2)} ms/doc)`)
  }
  console.log(`${len}-token docs: ${rows.join('; ')}`)
}
