import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { getTokenizer } from '@tracemark/detector'
import { generateKey, serializeKey } from '@tracemark/watermark'
import { runScan } from '../../detector/src/scan/run.js'
import { loadCorpus } from '../src/corpus/corpus.js'
import { repoRoot } from '../src/model/default.js'

/**
 * Builds (once) a JSONL corpus of real English of about `mb` megabytes under
 * .cache/bench/, cut from the Brown + SOTU documents into ~2 KB records.
 */
export async function benchCorpus(mb: number): Promise<string> {
  const dir = join(repoRoot(), '.cache', 'bench')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `corpus-${mb}mb.jsonl`)
  if (existsSync(path) && statSync(path).size >= mb * 1e6) return path
  const pieces: string[] = []
  for (const d of loadCorpus()) for (let i = 0; i + 2000 <= d.text.length; i += 2000) pieces.push(d.text.slice(i, i + 2000))
  const out = createWriteStream(path)
  let written = 0
  for (let i = 0; written < mb * 1e6; i++) {
    const line = `${JSON.stringify({ id: i, text: pieces[i % pieces.length] })}\n`
    written += Buffer.byteLength(line)
    if (!out.write(line)) await new Promise((r) => out.once('drain', r))
  }
  await new Promise((r) => out.end(r))
  return path
}

/** Scan throughput with 1 and 2 workers against tokenizing alone, and peak memory. */
export async function benchScan(mb = 20): Promise<void> {
  const path = await benchCorpus(mb)
  const bytes = statSync(path).size
  const keyText = serializeKey(generateKey({ scheme: 'kgw' }))
  const tok = getTokenizer('cl100k_base')
  // Baseline: read the same records and tokenize them, nothing else.
  const { readSources } = await import('../../detector/src/scan/sources/index.js')
  let t0 = performance.now()
  let tokens = 0
  for await (const r of readSources([path])) if (r.text) tokens += tok.encode(r.text).length
  const base = (performance.now() - t0) / 1000
  console.log(`\nscan throughput on ${(bytes / 1e6).toFixed(0)} MB of JSONL (${tokens} tokens)`)
  console.log(`  read + tokenize only   ${(bytes / 1e6 / base).toFixed(2).padStart(6)} MB/s  ${(tokens / 1e6 / base).toFixed(2)} M tokens/s  x1.00`)
  for (const workers of [1, 2]) {
    let peak = process.memoryUsage().rss
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
    t0 = performance.now()
    await runScan({ inputs: [path], keyTexts: [keyText], workers }, { record: () => {}, warn: () => {} })
    const s = (performance.now() - t0) / 1000
    clearInterval(timer)
    console.log(
      `  scan, ${workers} worker${workers > 1 ? 's' : ' '}       ${(bytes / 1e6 / s).toFixed(2).padStart(6)} MB/s  ${(tokens / 1e6 / s).toFixed(2)} M tokens/s  x${(s / base).toFixed(2)} time  peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`,
    )
  }
}
