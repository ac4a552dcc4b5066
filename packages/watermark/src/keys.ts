import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { canonicalJson, fromBase64, toBase64, toHex, utf8Bytes } from './encoding.js'
import { FINGERPRINT_DEFAULTS, resolveSpec, SCHEME_DEFAULTS, type SpecError, type SpecInput, type WatermarkSpec } from './spec.js'

/** Length of a key's secret in bytes. */
export const SECRET_BYTES = 32

/**
 * A watermark key: a secret plus the public spec it is used with. Treat the whole
 * object as secret; only `keyId` and `spec` may be shown.
 */
export interface WatermarkKey {
  /** Public commitment to (secret, spec): safe to print, publish, and timestamp. */
  readonly keyId: string
  readonly spec: WatermarkSpec
  /** ISO 8601 creation time. */
  readonly created: string
  /** 32 secret bytes. Never log, print, or put this in an error message. */
  readonly secret: Uint8Array
}

const KEY_FORMAT = 'tracemark-key'
const KEY_VERSION = 1

/**
 * The public key id: the first 128 bits of SHA-256 over a domain tag, the secret
 * and the canonical spec. 128 bits, not fewer, because the id serves as a
 * commitment: publishing it before a dispute proves the key predates the suspect
 * data, and a provider must not be able to find a second key with the same id.
 */
export function computeKeyId(secret: Uint8Array, spec: WatermarkSpec): string {
  const tag = utf8Bytes('tracemark/keyid/v1\0')
  const specBytes = utf8Bytes(canonicalJson(spec))
  const msg = new Uint8Array(tag.length + secret.length + specBytes.length)
  msg.set(tag, 0)
  msg.set(secret, tag.length)
  msg.set(specBytes, tag.length + secret.length)
  return `tm1-${toHex(sha256(msg).subarray(0, 16))}`
}

/**
 * Makes a new key for a scheme. Parameters not given take the scheme's defaults;
 * the secret comes from the platform CSPRNG (`crypto.getRandomValues`).
 *
 * @example
 * const key = generateKey({ scheme: 'kgw', gamma: 0.25, delta: 2 })
 */
export function generateKey(spec: SpecInput, options: { secret?: Uint8Array; created?: Date } = {}): WatermarkKey {
  const resolved = resolveSpec(spec)
  const secret = options.secret ? Uint8Array.from(options.secret) : randomBytes(SECRET_BYTES)
  if (secret.length !== SECRET_BYTES) throw new Error(`key secret must be ${SECRET_BYTES} bytes, got ${secret.length}`)
  return {
    keyId: computeKeyId(secret, resolved),
    spec: resolved,
    created: (options.created ?? new Date()).toISOString(),
    secret,
  }
}

/** The versioned JSON key file for `key`. It contains the secret: store it with mode 0600. */
export function serializeKey(key: WatermarkKey): string {
  return `${JSON.stringify(
    {
      format: KEY_FORMAT,
      version: KEY_VERSION,
      keyId: key.keyId,
      created: key.created,
      spec: key.spec,
      secret: toBase64(key.secret),
    },
    null,
    2,
  )}\n`
}

/** Every field name a spec can have: an unknown name from a file is not shown either (it could be pasted text). */
const SPEC_FIELDS = new Set([
  'scheme',
  'tokenizer',
  'vocabSize',
  'fingerprint',
  ...Object.values(SCHEME_DEFAULTS).flatMap((d) => Object.keys(d)),
  ...[...Object.keys(FINGERPRINT_DEFAULTS), 'embedding', 'draw'].map((k) => `fingerprint.${k}`),
])

function bad(why: string): never {
  // Never echo field values here: the secret could be among them.
  throw new Error(`invalid key file: ${why}`)
}

/**
 * Reads a key file written by {@link serializeKey}. Rejects malformed files and any
 * edit to the spec or secret (the keyId no longer matches), naming the field at fault.
 */
export function parseKey(text: string): WatermarkKey {
  let o: unknown
  try {
    o = JSON.parse(text)
  } catch {
    bad('not JSON')
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) bad('not a JSON object')
  const f = o as Record<string, unknown>
  if (f.format !== KEY_FORMAT) bad(`"format" must be "${KEY_FORMAT}"`)
  if (f.version !== KEY_VERSION) bad(`unsupported "version" (this build reads version ${KEY_VERSION})`)
  if (typeof f.keyId !== 'string') bad('"keyId" is missing')
  if (typeof f.created !== 'string' || Number.isNaN(Date.parse(f.created))) bad('"created" must be an ISO date')
  if (typeof f.secret !== 'string') bad('"secret" is missing')
  const secret = fromBase64(f.secret)
  if (!secret || secret.length !== SECRET_BYTES) bad(`"secret" must be ${SECRET_BYTES} bytes of base64`)
  if (f.spec === null || typeof f.spec !== 'object') bad('"spec" is missing')
  let spec: WatermarkSpec
  try {
    spec = resolveSpec(f.spec as SpecInput)
  } catch (e) {
    const { field, rule } = e as Partial<SpecError>
    if (field === undefined || rule === undefined) bad('"spec" is invalid')
    bad(SPEC_FIELDS.has(field) ? `"spec.${field}" ${rule}` : `"spec" has a field that ${rule}`)
  }
  if (canonicalJson(spec) !== canonicalJson(f.spec)) bad('"spec" is incomplete (every parameter must be explicit)')
  if (computeKeyId(secret, spec) !== f.keyId) bad('"keyId" does not match the secret and spec (the file was modified or corrupted)')
  return { keyId: f.keyId, spec, created: f.created, secret }
}

/**
 * A purpose subkey by HKDF-SHA256, so that the window PRF, the token tables and
 * the fingerprint code never share key material. The keyId is part of the info,
 * so one secret reused with two specs still gives two unrelated watermarks.
 */
export function deriveSubkey(key: WatermarkKey, purpose: string, length = 16): Uint8Array {
  return hkdf(sha256, key.secret, utf8Bytes('tracemark/v1'), utf8Bytes(`${purpose}\0${key.keyId}`), length)
}
