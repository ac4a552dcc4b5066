/**
 * The library evaluation behind docs/tokenizers.md: for each fixture tokenizer.json,
 * encodes Brown + SOTU documents and the stress set with every tokenizer library
 * that is installed, and reports id agreement with @huggingface/tokenizers (the one
 * the detector uses), decode-encode identity, and speed.
 *
 *   pnpm tsx packages/lab/src/tokenizer-eval/compare.ts [--every N] [--only NAME,NAME]
 *
 * `@huggingface/transformers` is compared when importable (or from the module path
 * in TRACEMARK_TRANSFORMERS); it is not a dependency of this package.
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { getTokenizer } from '@tracemark/detector'
import { TokenizerLoader } from '@lenml/tokenizers'
import { loadCorpus } from '../corpus/corpus.js'
import { fixtureConfig, fixturePath, TOKENIZER_FIXTURES, type TokenizerFixture } from './fixtures.js'
import { stressTexts } from './stress.js'

interface Impl {
  lib: string
  encode(text: string): ArrayLike<number>
}

/** The tokenizer.json without its special tokens: every library then treats their strings as text, as the detector does. */
function withoutSpecials(path: string): Record<string, unknown> {
  const json = JSON.parse(readFileSync(path, 'utf8'))
  return { ...json, added_tokens: json.added_tokens.filter((a: { special?: boolean }) => !a.special) }
}

async function transformersModule(): Promise<{ PreTrainedTokenizer: new (j: object, c: object) => { encode(t: string, o: object): number[] } } | null> {
  const from = process.env.TRACEMARK_TRANSFORMERS
  try {
    return await import(from ? pathToFileURL(from).href : '@huggingface/transformers')
  } catch {
    return null
  }
}

async function implementations(f: TokenizerFixture): Promise<Impl[]> {
  const path = fixturePath(f)
  const config = fixtureConfig(f)
  const json = withoutSpecials(path)
  const ours = getTokenizer({ path, name: f.name })
  const lenml = TokenizerLoader.fromPreTrained({ tokenizerJSON: json as never, tokenizerConfig: config as never })
  const impls: Impl[] = [
    { lib: '@huggingface/tokenizers', encode: (t) => ours.encode(t) },
    { lib: '@lenml/tokenizers', encode: (t) => lenml.encode(t, { add_special_tokens: false }) },
  ]
  const tf = await transformersModule()
  if (tf) {
    const t = new tf.PreTrainedTokenizer(json, config)
    impls.push({ lib: '@huggingface/transformers', encode: (s) => t.encode(s, { add_special_tokens: false }) })
  }
  return impls
}

function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

async function main() {
  const every = Number(process.argv[process.argv.indexOf('--every') + 1]) || 8
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : null
  const corpus = loadCorpus()
    .filter((_, i) => i % every === 0)
    .map((d) => d.text)
  const stress = stressTexts()
  console.log(`${corpus.length} Brown + SOTU documents (every ${every}th), ${stress.length} stress texts\n`)
  console.log('| tokenizer | library | corpus docs identical | stress texts identical | tokens | tokens/s | decode(encode(x)) = x |')
  console.log('| --- | --- | --- | --- | --- | --- | --- |')
  for (const f of TOKENIZER_FIXTURES) {
    if (only && !only.includes(f.name)) continue
    const impls = await implementations(f)
    const ref = getTokenizer({ path: fixturePath(f), name: f.name })
    const refIds = [...corpus, ...stress].map((t) => ref.encode(t))
    let identity = 0
    for (const [i, t] of [...corpus, ...stress].entries()) if (ref.decode(refIds[i]) === t) identity++
    for (const impl of impls) {
      impl.encode('warm up the caches')
      let tokens = 0
      let docsSame = 0
      const t0 = performance.now()
      const ids = corpus.map((t) => impl.encode(t))
      const ms = performance.now() - t0
      for (const [i, x] of ids.entries()) {
        tokens += x.length
        if (same(x, refIds[i])) docsSame++
      }
      let stressSame = 0
      const diffs: string[] = []
      for (const [i, t] of stress.entries()) {
        let x: ArrayLike<number>
        try {
          x = impl.encode(t)
        } catch (e) {
          diffs.push(`#${i} throws ${(e as Error).message.slice(0, 60)}`)
          continue
        }
        if (same(x, refIds[corpus.length + i])) stressSame++
        else diffs.push(`#${i}`)
      }
      const rt = impl.lib === '@huggingface/tokenizers' ? `${identity}/${corpus.length + stress.length}` : ''
      console.log(
        `| ${f.name} | ${impl.lib} | ${docsSame}/${corpus.length} | ${stressSame}/${stress.length}${diffs.length ? ` (differ: ${diffs.join(', ')})` : ''} | ${tokens} | ${Math.round((tokens / ms) * 1000)} | ${rt} |`,
      )
    }
  }
}

await main()
