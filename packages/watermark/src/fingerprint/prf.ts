import type { Keyring } from '../keyring.js'
import { mixHi, mixLo } from '../mix.js'
import { siphashWords } from '../siphash.js'
import { contextWidth, isRaceFingerprint, type FingerprintSpec, type WatermarkSpec } from '../spec.js'

/**
 * The fingerprint's view of one decoding position: its own keyed hash of the
 * window (a subkey distinct from the zero-bit watermark's, so colours and green
 * lists are independent), the codeword position it carries, and the seed that
 * colours the candidates.
 */
export interface FingerprintStep {
  s0: number
  s1: number
  /** Codeword position this window carries. */
  position: number
  /** Identity of the window (52 bits), for skipping repeats. */
  windowKey: number
}

export function newFingerprintStep(): FingerprintStep {
  return { s0: 0, s1: 0, position: 0, windowKey: 0 }
}

const digest = new Uint32Array(2)

/**
 * Context width of the fingerprint's window: the bias embedding has its own, the
 * race embedding uses the scheme's window (it replaces the race's uniforms there).
 */
export function fingerprintWidth(spec: WatermarkSpec): number {
  const f = spec.fingerprint!
  return isRaceFingerprint(f) ? contextWidth(spec) : f.h
}

/** Fills `step` for the position after `tokens[end - 1]` (callers guarantee end >= h). */
export function fingerprintStepAt(kr: Keyring, h: number, f: FingerprintSpec, tokens: ArrayLike<number>, end: number, step: FingerprintStep): void {
  siphashWords(kr.fingerprintKey, tokens, end - h, h, digest)
  fingerprintStepFrom(f, digest[0], digest[1], step)
}

/** Fills `step` from the window's digest (lo, hi as uint32): for digests hashed in a batch. */
export function fingerprintStepFrom(f: FingerprintSpec, lo: number, hi: number, step: FingerprintStep): void {
  step.s0 = lo | 0
  step.s1 = hi | 0
  // The high word picks the position; multiply-shift avoids the modulo bias of %.
  step.position = Math.floor((hi / 2 ** 32) * f.positions)
  step.windowKey = (hi >>> 12) * 2 ** 32 + lo
}

/** Colour (0..255) of candidate `x` in the window whose seed is (s0, s1). */
export function colourOf(s0: number, s1: number, x: number): number {
  return mixHi(s0, s1, x) >>> 24
}

/** Identity of the (window, token) tuple under the fingerprint PRF, for dedup (52 bits). */
export function fingerprintTuple(s0: number, s1: number, x: number): number {
  return mixHi(s0, s1, x) * 2 ** 20 + (mixLo(s0, s1, x) >>> 12)
}

/** Adds `delta` in place to the logits of the candidates whose colour is `favoured`. */
export function biasColour(step: FingerprintStep, favoured: number, delta: number, logits: Float32Array): void {
  const s0 = step.s0, s1 = step.s1
  for (let x = 0; x < logits.length; x++) if (mixHi(s0, s1, x) >>> 24 === favoured) logits[x] += delta
}

/**
 * The same bias on a candidate list (ids and logits side by side): behind a
 * top-k host only the candidates need a colour, not the whole vocabulary.
 */
export function biasColourCandidates(step: FingerprintStep, favoured: number, delta: number, ids: Int32Array, logit: Float64Array, n: number): void {
  const s0 = step.s0, s1 = step.s1
  for (let i = 0; i < n; i++) if (mixHi(s0, s1, ids[i]) >>> 24 === favoured) logit[i] += delta
}
