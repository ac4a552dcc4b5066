import { existsSync } from 'node:fs'
import { generateKey, SCHEME_NAMES, serializeKey, type SchemeName } from '@tracemark/watermark'
import { getTokenizer, TOKENIZER_NAMES, type TokenizerName } from '../text/tokenizer.js'
import { defaultCommitmentPath, keyCommitment } from '../evidence/commitment.js'
import { writeFileSafely } from '../safe-write.js'

export interface KeygenOptions {
  scheme: string
  param?: string[]
  /** A built-in encoding's name, or the path of a Hugging Face tokenizer.json. */
  tokenizer?: string
  /** Name recorded for a tokenizer.json (default: its folder's name). */
  tokenizerName?: string
  /** The model's logits length, when it exceeds the tokenizer's id count (Qwen: 151,936). */
  vocabSize?: number
  out: string
  force?: boolean
  /** Payload width of a per-account fingerprint; omitted: 32 for gumbel (unless `fingerprint` is false), none otherwise. */
  fingerprintBits?: number
  /** False: no fingerprint (commander's `--no-fingerprint`). */
  fingerprint?: boolean
  fingerprintDelta?: number
  /** `race` (distortion-free, gumbel) or `bias`; default: race for gumbel, bias otherwise. */
  fingerprintEmbedding?: string
  fingerprintPositions?: number
  /** Where to write the public key commitment (default: `<out>.commitment.json`); false: none. */
  commitment?: string | false
}

/** Parses `name=value` pairs: numbers stay numbers, anything else is a string. */
export function parseParams(pairs: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const p of pairs) {
    const eq = p.indexOf('=')
    if (eq <= 0) throw new Error(`--param must be name=value, got "${p}"`)
    const name = p.slice(0, eq)
    const raw = p.slice(eq + 1)
    out[name] = raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw
  }
  return out
}

/**
 * The spec fields naming the key's vocabulary. A built-in name gives its fixed
 * size; a tokenizer.json gives its name, its canonical SHA-256 and a vocabSize of
 * its id count, or `--vocab-size` when the model's logits are longer.
 */
function keyVocabulary(o: KeygenOptions): { tokenizer: string; tokenizerSha256?: string; vocabSize: number } {
  const choice = o.tokenizer ?? 'cl100k_base'
  if (o.vocabSize !== undefined && !(Number.isInteger(o.vocabSize) && o.vocabSize >= 2)) {
    throw new Error(`--vocab-size must be an integer >= 2, got ${o.vocabSize}`)
  }
  if (TOKENIZER_NAMES.includes(choice as TokenizerName)) {
    const size = getTokenizer(choice as TokenizerName).vocabSize
    if (o.vocabSize !== undefined && o.vocabSize !== size) throw new Error(`--vocab-size ${o.vocabSize} does not match ${choice}, which has ${size} ids`)
    if (o.tokenizerName !== undefined) throw new Error('--tokenizer-name is for a tokenizer.json, not a built-in encoding')
    return { tokenizer: choice, vocabSize: size }
  }
  if (o.tokenizerName !== undefined && TOKENIZER_NAMES.includes(o.tokenizerName as TokenizerName)) {
    throw new Error(`--tokenizer-name ${o.tokenizerName} is the name of a built-in encoding; choose another`)
  }
  const tok = getTokenizer({ path: choice, name: o.tokenizerName })
  if (TOKENIZER_NAMES.includes(tok.name as TokenizerName)) {
    throw new Error(`${choice}: its folder is named like the built-in encoding ${tok.name}; pass --tokenizer-name`)
  }
  if (o.vocabSize !== undefined && o.vocabSize < tok.vocabSize) {
    throw new Error(`--vocab-size ${o.vocabSize} is smaller than the tokenizer ${choice}, which has ${tok.vocabSize} ids`)
  }
  return { tokenizer: tok.name, tokenizerSha256: tok.sha256, vocabSize: o.vocabSize ?? tok.vocabSize }
}

/**
 * Writes a new key file with mode 0600, refusing to overwrite an existing file
 * unless forced (overwriting a key destroys the ability to detect its text),
 * and its public commitment (keyId, spec, creation time) next to it.
 * Returns the public keyId.
 */
export function keygen(o: KeygenOptions): string {
  if (!SCHEME_NAMES.includes(o.scheme as SchemeName)) {
    throw new Error(`--scheme must be one of ${SCHEME_NAMES.join(', ')}, got "${o.scheme}"`)
  }
  const vocabulary = keyVocabulary(o)
  if (o.fingerprint === false && (o.fingerprintBits ?? o.fingerprintEmbedding ?? o.fingerprintDelta ?? o.fingerprintPositions) !== undefined) {
    throw new Error('--no-fingerprint cannot be combined with --fingerprint-* options')
  }
  const params = parseParams(o.param)
  // Gumbel keys carry the race fingerprint unless told not to (or given per-request
  // nonces, which the race replaces): docs/security.md measured one-stream keys
  // forged by watermark stealing and race keys not.
  const bits = o.fingerprintBits ?? (o.scheme === 'gumbel' && o.fingerprint !== false && !('nonces' in params) ? 32 : undefined)
  const fingerprint =
    bits === undefined
      ? {}
      : {
          fingerprint: {
            bits,
            // A race named on the command line is a new key: the ordered draw (spec.ts).
            ...(o.fingerprintEmbedding === undefined ? {} : { embedding: o.fingerprintEmbedding, ...(o.fingerprintEmbedding === 'race' ? { draw: 'ordered' } : {}) }),
            ...(o.fingerprintDelta === undefined ? {} : { delta: o.fingerprintDelta }),
            ...(o.fingerprintPositions === undefined ? {} : { positions: o.fingerprintPositions }),
          },
        }
  const key = generateKey({
    scheme: o.scheme as SchemeName,
    ...vocabulary,
    ...params,
    ...fingerprint,
  })
  const commitment = o.commitment === false ? null : (o.commitment ?? defaultCommitmentPath(o.out))
  if (commitment && !o.force && existsSync(commitment)) throw new Error(`${commitment} exists; pass --force to overwrite it`)
  writeFileSafely(o.out, serializeKey(key), !!o.force)
  // Public: publish or timestamp it before any dispute (see docs/evidence.md).
  if (commitment) writeFileSafely(commitment, `${JSON.stringify(keyCommitment(key), null, 2)}\n`, !!o.force, 0o644)
  return key.keyId
}
