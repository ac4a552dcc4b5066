import { getTokenizer } from '@tracemark/detector'
import { get_encoding } from 'tiktoken'
import { loadCorpus } from '../src/corpus/corpus.js'
import { bench, fmtUs } from './harness.js'

const MiB = 1 << 20
const letters = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join('')
const cjk = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20_000))).join('')

/**
 * Tokenizing pathological text (issue 14): one run of 1 MiB of `a`, 300K letters, 100K CJK
 * characters, none with a space. After: the bounded encoder (`getTokenizer`), timed on the
 * full inputs, as µs per character against ordinary English of 1 MiB (the baseline).
 * Before: the raw tiktoken encoder without the bound, timed once on 1/64 and 1/16 of each
 * input (the full inputs took minutes or crashed): its cost per character grows with the
 * run's length, the bounded one's does not.
 */
export function benchTokenize(): void {
  let english = ''
  for (const d of loadCorpus()) {
    english += d.text + '\n'
    if (english.length >= MiB) break
  }
  english = english.slice(0, MiB)
  const inputs: [string, string][] = [
    ['1 MiB of a', 'a'.repeat(MiB)],
    ['300K letters', letters(300_000)],
    ['100K CJK', cjk(100_000)],
  ]
  const tok = getTokenizer('cl100k_base')
  const cases = [['English 1 MiB (baseline)', english] as [string, string], ...inputs].map(([name, text]) => ({ name, run: () => tok.encode(text).length }))
  const results = bench(cases, { rounds: 3, roundMs: 200 })
  const perChar = (us: number, n: number) => us / n
  const baseline = perChar(results[0].medianUs, english.length)
  console.log('\ntokenize pathological runs (cl100k_base, tiktoken): bounded encoder, per character, ratio to English')
  results.forEach((r, i) => {
    const n = i === 0 ? english.length : inputs[i - 1][1].length
    const pc = perChar(r.medianUs, n)
    console.log(`  ${r.name.padEnd(26)} ${fmtUs(r.medianUs).padStart(10)}  ${pc.toFixed(2).padStart(7)} us/char  x${(pc / baseline).toFixed(2)}`)
  })
  console.log('  unbounded (before), one run each:')
  const raw = get_encoding('cl100k_base')
  for (const [name, text] of inputs) {
    const row: string[] = []
    for (const part of [64, 16]) {
      const piece = text.slice(0, Math.floor(text.length / part))
      const t0 = performance.now()
      raw.encode_ordinary(piece)
      const us = (performance.now() - t0) * 1000
      row.push(`1/${part} (${piece.length} chars) ${perChar(us, piece.length).toFixed(2)} us/char x${(perChar(us, piece.length) / baseline).toFixed(2)}`)
    }
    console.log(`  ${name.padEnd(26)} ${row.join('   ')}`)
  }
  raw.free()
}
