import { detect, getTokenizer } from '@tracemark/detector'
import { createWatermarker, generateKey } from '@tracemark/watermark'
import { loadCorpus } from '../src/corpus/corpus.js'
import { bench, fmtUs } from './harness.js'
import { EMBED_SCHEMES } from './embed.js'

/**
 * Detection throughput on real English (Brown + SOTU documents cut into ~4 KB
 * pieces) against tokenizing alone: what an investigator's scan costs per MB.
 */
export function benchDetect(): void {
  const texts: string[] = []
  for (const d of loadCorpus()) {
    for (let i = 0; i + 4000 <= d.text.length && texts.length < 200; i += 4000) texts.push(d.text.slice(i, i + 4000))
    if (texts.length >= 200) break
  }
  const bytes = texts.reduce((a, t) => a + Buffer.byteLength(t), 0)
  // The baseline is tiktoken (the reference, OpenAI's Rust as WASM); detect uses the
  // default backend, gpt-tokenizer's vocabulary merged by the detector's own BPE.
  const tik = getTokenizer('cl100k_base', 'tiktoken')
  const tok = getTokenizer('cl100k_base')
  const tokens = texts.reduce((a, t) => a + tok.encode(t).length, 0)
  const cases = [
    { name: 'tokenize (tiktoken)', run: () => texts.map((t) => tik.encode(t).length) },
    { name: `tokenize (${tok.backend})`, run: () => texts.map((t) => tok.encode(t).length) },
  ]
  for (const spec of EMBED_SCHEMES) {
    const wm = createWatermarker(generateKey(spec))
    const name = spec.scheme === 'kgw' ? `detect kgw-${spec.seeding ?? 'self'}` : `detect ${spec.scheme}`
    cases.push({ name, run: () => texts.map((t) => detect(t, wm).pValue) })
    if (spec.scheme === 'kgw' && spec.seeding === undefined) {
      cases.push({ name: `${name} (tiktoken)`, run: () => texts.map((t) => detect(t, wm, { tokenizerBackend: 'tiktoken' }).pValue) })
    }
  }
  const results = bench(cases, { rounds: 5, roundMs: 400 })
  const base = results[0].medianUs
  console.log(`\ndetection throughput: ${texts.length} documents, ${(bytes / 1e6).toFixed(2)} MB, ${tokens} tokens`)
  for (const r of results) {
    const s = r.medianUs / 1e6
    console.log(
      `  ${r.name.padEnd(26)} ${fmtUs(r.medianUs).padStart(10)}  ${(bytes / 1e6 / s).toFixed(2).padStart(6)} MB/s  ${(tokens / 1e6 / s).toFixed(2).padStart(6)} M tokens/s  x${(r.medianUs / base).toFixed(2)}`,
    )
  }
  // Id scoring per scheme runs bundled, in `pnpm bench keys` and `pnpm bench scan`: through
  // tsx, as this bench runs, it measured ~30 % low.
}
