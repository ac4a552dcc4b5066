import { firstDifference } from './diff.js'
import type { WatermarkKey, WatermarkSpec } from '@tracemark/watermark'

const FORMAT = 'tracemark-key-commitment'

/**
 * The public commitment to a key: its keyId (SHA-256 over the secret and the
 * spec), the spec and the creation time, and nothing secret. Published or
 * timestamped before a dispute, it shows the key was not chosen after the fact.
 */
export interface KeyCommitment {
  format: typeof FORMAT
  version: 1
  keyId: string
  spec: WatermarkSpec
  created: string
}

/** The commitment of a key. */
export function keyCommitment(key: WatermarkKey): KeyCommitment {
  return { format: FORMAT, version: 1, keyId: key.keyId, spec: key.spec, created: key.created }
}

/** Where `keygen --out key.json` writes the commitment by default: `key.commitment.json`. */
export function defaultCommitmentPath(keyPath: string): string {
  return `${keyPath.replace(/\.json$/i, '')}.commitment.json`
}

/** Parses a commitment file; errors name the file and the field. */
export function parseCommitment(text: string, file: string): KeyCommitment {
  let o: unknown
  try {
    o = JSON.parse(text)
  } catch {
    throw new Error(`${file}: not JSON`)
  }
  const c = o as Record<string, unknown> | null
  if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new Error(`${file}: not a JSON object`)
  if (c.format !== FORMAT) throw new Error(`${file}: "format" must be "${FORMAT}"`)
  if (c.version !== 1) throw new Error(`${file}: unsupported "version"`)
  if (typeof c.keyId !== 'string' || !/^tm1-[0-9a-f]{32}$/.test(c.keyId)) throw new Error(`${file}: "keyId" must be a tm1- key id`)
  if (c.spec === null || typeof c.spec !== 'object') throw new Error(`${file}: "spec" is missing`)
  if (typeof c.created !== 'string' || Number.isNaN(Date.parse(c.created))) throw new Error(`${file}: "created" must be an ISO date`)
  return c as unknown as KeyCommitment
}

/**
 * Whether a key is the one committed to: the keyId binds the secret and the spec,
 * so an equal keyId and spec mean the same key. Returns the first difference or null.
 */
export function commitmentDifference(c: KeyCommitment, key: WatermarkKey): string | null {
  if (c.keyId !== key.keyId) return `commitment: keyId ${c.keyId}, the key file is ${key.keyId}`
  const spec = firstDifference(c.spec, key.spec, 'spec')
  if (spec) return `commitment: ${spec.replace('recomputed', 'key file')}`
  if (c.created !== key.created) return `commitment: created ${c.created}, the key file says ${key.created}`
  return null
}
