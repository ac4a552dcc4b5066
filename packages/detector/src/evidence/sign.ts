import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ed25519 } from '@noble/curves/ed25519.js'
import { EVIDENCE_FILE, readEvidence } from './bundle.js'
import { sha256Hex } from './hash.js'
import { writeFileSafely } from '../safe-write.js'

const bytesToHex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const hexToBytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'))

/** The detached signature of a bundle, next to its `evidence.json`. */
export const SIGNATURE_FILE = 'signature.json'
const KEY_FORMAT = 'tracemark-signing-key'
const SIG_FORMAT = 'tracemark-signature'

/**
 * Makes an Ed25519 signing key file (mode 0600, never overwritten unless forced)
 * and returns its public key in hex: what a provider publishes so anyone can
 * check that a bundle came from it.
 */
export function signingKeygen(out: string, force = false): string {
  const secret = ed25519.utils.randomSecretKey()
  const publicKey = bytesToHex(ed25519.getPublicKey(secret))
  const text = `${JSON.stringify({ format: KEY_FORMAT, version: 1, algorithm: 'Ed25519', publicKey, secretKey: bytesToHex(secret) }, null, 2)}\n`
  writeFileSafely(out, text, force)
  return publicKey
}

function readSigningKey(file: string): { secret: Uint8Array; publicKey: string } {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new Error(`${file}: ${(e as NodeJS.ErrnoException).code ? `cannot read (${(e as NodeJS.ErrnoException).code})` : 'not JSON'}`)
  }
  // Never echo the field values: one of them is the secret.
  if (o?.format !== KEY_FORMAT) throw new Error(`${file}: "format" must be "${KEY_FORMAT}"`)
  if (typeof o.secretKey !== 'string' || !/^[0-9a-f]{64}$/.test(o.secretKey)) throw new Error(`${file}: "secretKey" must be 64 hex digits`)
  const secret = hexToBytes(o.secretKey)
  return { secret, publicKey: bytesToHex(ed25519.getPublicKey(secret)) }
}

/**
 * Signs a bundle: an Ed25519 signature over the bytes of its `evidence.json`,
 * which names every input by SHA-256, so the signature covers them all.
 * Returns the signer's public key (hex).
 */
export function signBundle(dir: string, signingKeyFile: string): string {
  const { bytes } = readEvidence(dir)
  const { secret, publicKey } = readSigningKey(signingKeyFile)
  const signature = bytesToHex(ed25519.sign(bytes, secret))
  const sig = { format: SIG_FORMAT, version: 1, algorithm: 'Ed25519', signed: EVIDENCE_FILE, sha256: sha256Hex(bytes), publicKey, signature }
  writeFileSync(join(dir, SIGNATURE_FILE), `${JSON.stringify(sig, null, 2)}\n`)
  return publicKey
}

/**
 * The signature check of a bundle: null when it is unsigned and no signer is
 * required; otherwise what was checked and the difference, if any. A malformed
 * signature file is an input error naming the field.
 */
export function checkSignature(dir: string, evidence: Uint8Array, signer?: string): { what: string; detail: string | null } | null {
  const file = join(dir, SIGNATURE_FILE)
  if (signer !== undefined && !/^[0-9a-f]{64}$/i.test(signer)) throw new Error('--signer must be an Ed25519 public key: 64 hex digits')
  if (!existsSync(file)) return signer === undefined ? null : { what: 'signature', detail: `${SIGNATURE_FILE}: missing, but --signer requires a signed bundle` }
  let o: Record<string, unknown>
  try {
    o = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    throw new Error(`${file}: not JSON`)
  }
  if (o?.format !== SIG_FORMAT) throw new Error(`${file}: "format" must be "${SIG_FORMAT}"`)
  if (typeof o.publicKey !== 'string' || !/^[0-9a-f]{64}$/.test(o.publicKey)) throw new Error(`${file}: "publicKey" must be 64 hex digits`)
  if (typeof o.signature !== 'string' || !/^[0-9a-f]{128}$/.test(o.signature)) throw new Error(`${file}: "signature" must be 128 hex digits`)
  const what = `signature by ${o.publicKey.slice(0, 16)}...`
  if (signer !== undefined && signer.toLowerCase() !== o.publicKey) return { what, detail: `${SIGNATURE_FILE}: signed by ${o.publicKey}, not by the --signer ${signer.toLowerCase()}` }
  const ok = ed25519.verify(hexToBytes(o.signature), evidence, hexToBytes(o.publicKey))
  return { what, detail: ok ? null : `${SIGNATURE_FILE}: the signature does not match ${EVIDENCE_FILE} (the bundle changed after signing)` }
}
