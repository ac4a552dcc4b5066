import { readFileSync } from 'node:fs'
import { getTokenizer } from '@tracemark/detector'
import { TokenizerLoader } from '@lenml/tokenizers'
import { loadCorpus } from '../src/corpus/corpus.js'
import { fixtureConfig, fixturePath, TOKENIZER_FIXTURES } from '../src/tokenizer-eval/fixtures.js'
import { stressTexts } from '../src/tokenizer-eval/stress.js'
import { bench, fmtUs } from './harness.js'

// 20 pieces (80 KB): Gemma 3 tokenizes at a few thousand tokens/s here, and each case runs ~10 times.
const PIECES = 20

/**
 * Tokenize speed and exactness of the tokenizer.json library the detector uses
 * (@huggingface/tokenizers) per fixture, on ~4 KB English pieces (the first of
 * those the detection bench uses), against tiktoken cl100k_base in the same run.
 * Exactness: ids identical to another implementation (@lenml/tokenizers, the
 * transformers.js v3 fork) on those pieces and the stress set, and
 * decode(encode(x)) = x.
 */
export function benchTokenizers(): void {
  const texts: string[] = []
  for (const d of loadCorpus()) {
    for (let i = 0; i + 4000 <= d.text.length && texts.length < PIECES; i += 4000) texts.push(d.text.slice(i, i + 4000))
    if (texts.length >= PIECES) break
  }
  const bytes = texts.reduce((a, t) => a + Buffer.byteLength(t), 0)
  const all = [...texts, ...stressTexts()]
  const cl100k = getTokenizer('cl100k_base', 'tiktoken')
  const cases = [{ name: 'cl100k_base (tiktoken)', run: () => texts.map((t) => cl100k.encode(t).length) }]
  const exact: string[] = []
  for (const f of TOKENIZER_FIXTURES) {
    const path = fixturePath(f)
    const t0 = performance.now()
    const tok = getTokenizer({ path, name: f.name })
    const loadMs = performance.now() - t0
    cases.push({ name: f.name, run: () => texts.map((t) => tok.encode(t).length) })
    const json = JSON.parse(readFileSync(path, 'utf8'))
    json.added_tokens = json.added_tokens.filter((a: { special?: boolean }) => !a.special)
    const other = TokenizerLoader.fromPreTrained({ tokenizerJSON: json, tokenizerConfig: fixtureConfig(f) as never })
    let same = 0
    let identity = 0
    for (const t of all) {
      const a = tok.encode(t)
      const b = other.encode(t, { add_special_tokens: false })
      if (a.length === b.length && a.every((x, i) => x === b[i])) same++
      if (tok.decode(a) === t) identity++
    }
    exact.push(`  ${f.name.padEnd(12)} load ${(loadMs / 1000).toFixed(1)} s (once)  ids = @lenml/tokenizers ${same}/${all.length}  decode(encode(x)) = x ${identity}/${all.length}`)
  }
  const results = bench(cases, { rounds: 3, roundMs: 200 })
  const base = results[0].medianUs
  console.log(`\ntokenizer.json (@huggingface/tokenizers): ${texts.length} English pieces, ${(bytes / 1e6).toFixed(2)} MB; ratio vs tiktoken cl100k_base`)
  for (const r of results) {
    console.log(`  ${r.name.padEnd(24)} ${fmtUs(r.medianUs).padStart(10)}  ${(bytes / 1e6 / (r.medianUs / 1e6)).toFixed(2).padStart(6)} MB/s  x${(r.medianUs / base).toFixed(2)}`)
  }
  console.log(`exactness on the same pieces + ${all.length - texts.length} stress texts (docs/tokenizers.md)`)
  for (const line of exact) console.log(line)
}
