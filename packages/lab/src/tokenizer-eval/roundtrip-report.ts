/**
 * The round-trip table of docs/tokenizers.md: per fixture tokenizer and vocabulary
 * mode, watermarked generations from the synthetic model are decoded to text and
 * re-tokenized; prints the share of scored tuples that survive and the tokens
 * needed for p < 1e-6 (default key: gumbel h = 4).
 *
 *   pnpm tsx packages/lab/src/tokenizer-eval/roundtrip-report.ts [--runs N] [--tokens N] [--step N] [--only NAME]
 */
import { readFileSync } from 'node:fs'
import { getTokenizer } from '@tracemark/detector'
import { generateKey } from '@tracemark/watermark'
import { fixturePath, TOKENIZER_FIXTURES } from './fixtures.js'
import { generateIds, roundTrip, vocabularyMask, type RoundTripVocabulary } from './roundtrip.js'

const arg = (name: string, dflt: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || dflt
const runs = arg('--runs', 10)
const tokens = arg('--tokens', 200)
const step = arg('--step', 2)
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null

console.log(`${runs} generations of ${tokens} tokens per row (prefixes in steps of ${step}), gumbel h=4, synthetic model (entropy ~2.5-4.5 nats before masking)\n`)
console.log('| tokenizer | vocabulary | tuples surviving decode→encode | tokens for p < 1e-6 from the sampled ids (median, max) | from the text (median, max) |')
console.log('| --- | --- | --- | --- | --- |')
for (const f of TOKENIZER_FIXTURES) {
  if (only && f.name !== only) continue
  const path = fixturePath(f)
  const tok = getTokenizer({ path, name: f.name })
  const json = JSON.parse(readFileSync(path, 'utf8'))
  const specials = new Set<number>(json.added_tokens.filter((a: { special?: boolean }) => a.special).map((a: { id: number }) => a.id))
  for (const mode of ['words', 'any'] as RoundTripVocabulary[]) {
    const mask = vocabularyMask(tok, tok.vocabSize, mode, specials)
    let gen = 0
    let surv = 0
    const need: number[] = []
    const needIds: number[] = []
    for (let r = 0; r < runs; r++) {
      const key = generateKey(
        { scheme: 'gumbel', tokenizer: f.name, tokenizerSha256: tok.sha256, vocabSize: tok.vocabSize },
        { secret: new Uint8Array(32).fill(r + 1) },
      )
      const rt = roundTrip(key, tok, generateIds(key, mask, tokens, 1000 + r), step)
      gen += rt.generated
      surv += rt.survived
      need.push(rt.tokensToDetect ?? Infinity)
      needIds.push(rt.tokensToDetectIds ?? Infinity)
    }
    const fmt = (x: number) => (Number.isFinite(x) ? String(x) : `>${tokens}`)
    const summary = (xs: number[]) => {
      xs.sort((a, b) => a - b)
      return `${fmt(xs[Math.floor(xs.length / 2)])}, ${fmt(xs[xs.length - 1])}`
    }
    console.log(`| ${f.name} | ${mode} | ${((100 * surv) / gen).toFixed(1)}% | ${summary(needIds)} | ${summary(need)} |`)
  }
}
