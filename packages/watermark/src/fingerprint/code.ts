import type { FingerprintSpec } from '../spec.js'
import { rsCode, rsEncode, type RsCode } from './reedsolomon.js'

/** Number of colours the vocabulary is split into per window: one per GF(256) symbol. */
export const COLOURS = 256

/** The Reed–Solomon code of a fingerprint spec: ceil(bits / 8) message bytes, `positions` symbols. */
export function fingerprintCode(f: FingerprintSpec): RsCode {
  const k = Math.ceil(f.bits / 8)
  const id = `${f.positions}/${k}`
  let code = codes.get(id)
  // One per shape: a scan asks for it for every candidate account of every document.
  if (!code) codes.set(id, (code = rsCode(f.positions, k)))
  return code
}

const codes = new Map<string, RsCode>()

/** Checks that `account` fits the payload width. */
export function checkAccount(f: FingerprintSpec, account: number): void {
  if (!Number.isInteger(account) || account < 0 || account >= 2 ** f.bits) {
    throw new RangeError(`payload must be an integer account in [0, 2^${f.bits}), got ${account}`)
  }
}

/** The message bytes of an account number (little-endian). */
export function accountBytes(f: FingerprintSpec, account: number): Uint8Array {
  checkAccount(f, account)
  const k = Math.ceil(f.bits / 8)
  const out = new Uint8Array(k)
  let a = account
  for (let i = 0; i < k; i++) {
    out[i] = a % 256
    a = Math.floor(a / 256)
  }
  return out
}

/** The account number of message bytes, or -1 when they exceed the payload width (not a valid codeword). */
export function bytesAccount(f: FingerprintSpec, bytes: Uint8Array): number {
  let a = 0
  for (let i = bytes.length - 1; i >= 0; i--) a = a * 256 + bytes[i]
  return a < 2 ** f.bits ? a : -1
}

/** The codeword (one byte per position) that carries `account`. */
export function accountCodeword(f: FingerprintSpec, account: number, code: RsCode = fingerprintCode(f)): Uint8Array {
  return rsEncode(code, accountBytes(f, account))
}
