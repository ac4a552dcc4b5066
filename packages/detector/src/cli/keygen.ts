import { closeSync, constants, existsSync, openSync, writeSync } from 'node:fs'
import { generateKey, SCHEME_NAMES, serializeKey, type SchemeName } from '@tracemark/watermark'
import { getTokenizer, TOKENIZER_NAMES, type TokenizerName } from '../text/tokenizer.js'
import { defaultCommitmentPath, keyCommitment } from '../evidence/commitment.js'

export interface KeygenOptions {
  scheme: string
  param?: string[]
  tokenizer?: string
  out: string
  force?: boolean
  /** Payload width of a per-account fingerprint; omitted: no fingerprint. */
  fingerprintBits?: number
  fingerprintDelta?: number
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
 * Writes a new key file with mode 0600, refusing to overwrite an existing file
 * unless forced (overwriting a key destroys the ability to detect its text),
 * and its public commitment (keyId, spec, creation time) next to it.
 * Returns the public keyId.
 */
export function keygen(o: KeygenOptions): string {
  if (!SCHEME_NAMES.includes(o.scheme as SchemeName)) {
    throw new Error(`--scheme must be one of ${SCHEME_NAMES.join(', ')}, got "${o.scheme}"`)
  }
  const tokenizer = (o.tokenizer ?? 'cl100k_base') as TokenizerName
  if (!TOKENIZER_NAMES.includes(tokenizer)) throw new Error(`--tokenizer must be one of ${TOKENIZER_NAMES.join(', ')}`)
  const fingerprint =
    o.fingerprintBits === undefined
      ? {}
      : {
          fingerprint: {
            bits: o.fingerprintBits,
            ...(o.fingerprintDelta === undefined ? {} : { delta: o.fingerprintDelta }),
            ...(o.fingerprintPositions === undefined ? {} : { positions: o.fingerprintPositions }),
          },
        }
  const key = generateKey({
    scheme: o.scheme as SchemeName,
    tokenizer,
    vocabSize: getTokenizer(tokenizer).vocabSize,
    ...parseParams(o.param),
    ...fingerprint,
  })
  const commitment = o.commitment === false ? null : (o.commitment ?? defaultCommitmentPath(o.out))
  if (!o.force && existsSync(o.out)) throw new Error(`${o.out} exists; pass --force to overwrite it`)
  if (commitment && !o.force && existsSync(commitment)) throw new Error(`${commitment} exists; pass --force to overwrite it`)
  writeNew(o.out, serializeKey(key), 0o600, o.force)
  // Public: publish or timestamp it before any dispute (see docs/evidence.md).
  if (commitment) writeNew(commitment, `${JSON.stringify(keyCommitment(key), null, 2)}\n`, 0o644, o.force)
  return key.keyId
}

/** Writes a file that must not exist yet (unless forced): overwriting a key destroys its evidence. */
function writeNew(path: string, text: string, mode: number, force?: boolean): void {
  const flags = constants.O_WRONLY | constants.O_CREAT | (force ? constants.O_TRUNC : constants.O_EXCL)
  let fd: number
  try {
    fd = openSync(path, flags, mode)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new Error(code === 'EEXIST' ? `${path} exists; pass --force to overwrite it` : `cannot write ${path}: ${code}`)
  }
  try {
    writeSync(fd, text)
  } finally {
    closeSync(fd)
  }
}
