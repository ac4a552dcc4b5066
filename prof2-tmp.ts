import { generateKey, DEFAULT_SCHEME } from '@tracemark/watermark'
import { createScorer } from './packages/detector/src/scan/document.js'
import { normalizeText } from './packages/detector/src/text/normalize.js'
import { readSources } from './packages/detector/src/scan/sources/index.js'
import { getTokenizer } from './packages/detector/src/text/tokenizer.js'
const texts: string[] = []
for await (const r of readSources(['.cache/bench/corpus-20mb.jsonl'])) { if (r.text) texts.push(r.text); if (texts.length >= 300) break }
const tok = getTokenizer('cl100k_base')
const sc = createScorer([generateKey({ scheme: DEFAULT_SCHEME })])
const norm = texts.map((t) => normalizeText(t))
const ids = norm.map((t) => tok.encode(t))
const time = (name: string, f: () => void) => { f(); const r: number[] = []; for (let i = 0; i < 5; i++) { const t0 = performance.now(); f(); r.push(performance.now() - t0) } r.sort((a, b) => a - b); console.log(name.padEnd(12), r[2].toFixed(1), 'ms') }
for (let round = 0; round < 2; round++) {
time('normalize', () => texts.forEach((t) => normalizeText(t)))
time('tokenize', () => norm.forEach((t) => tok.encode(t)))
time('scoreIds', () => ids.forEach((x, i) => sc.scoreIds(new Map([['cl100k_base', x]]), { file: 'x' }, i)))
time('score(all)', () => texts.forEach((t, i) => sc.score(t, { file: 'x' }, i)))
}
