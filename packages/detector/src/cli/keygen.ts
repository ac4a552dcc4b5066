import { closeSync, constants, openSync, writeSync } from 'node:fs'
import { DEFAULT_GUMBEL_NONCES, generateKey, SCHEME_NAMES, serializeKey, type SchemeName } from '@tracemark/watermark'
import { getTokenizer, TOKENIZER_NAMES, type TokenizerName } from '../text/tokenizer.js'

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
 * unless forced (overwriting a key destroys the ability to detect its text).
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
  const params = parseParams(o.param)
  // A serving key must not give the same answer to the same prompt: new gumbel keys get
  // per-request nonces unless told otherwise (--param nonces=1 is the one-stream scheme).
  const nonces = o.scheme === 'gumbel' && !('nonces' in params) ? { nonces: DEFAULT_GUMBEL_NONCES } : {}
  const key = generateKey({
    scheme: o.scheme as SchemeName,
    tokenizer,
    vocabSize: getTokenizer(tokenizer).vocabSize,
    ...nonces,
    ...params,
    ...fingerprint,
  })
  const flags = constants.O_WRONLY | constants.O_CREAT | (o.force ? constants.O_TRUNC : constants.O_EXCL)
  let fd: number
  try {
    fd = openSync(o.out, flags, 0o600)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new Error(code === 'EEXIST' ? `${o.out} exists; pass --force to overwrite it` : `cannot write ${o.out}: ${code}`)
  }
  try {
    writeSync(fd, serializeKey(key))
  } finally {
    closeSync(fd)
  }
  return key.keyId
}
