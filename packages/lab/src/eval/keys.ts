/**
 * Deterministic keys and seeds. Every document gets its own key (a secret derived
 * from the run seed, the configuration and the document index), so documents are
 * independent draws of the experiment; the false-positive test uses ONE key per
 * configuration, as an investigator would. Nothing here is a production key.
 */
import { createHash } from 'node:crypto'
import { generateKey, type WatermarkKey } from '@tracemark/watermark'
import type { EvalConfig } from './configs.js'

const DOMAIN = 'tracemark-lab-eval/v1'

/** 32 bytes from SHA-256 of a labelled tuple. */
export function derivedSecret(...parts: (string | number)[]): Uint8Array {
  return new Uint8Array(createHash('sha256').update([DOMAIN, ...parts].join('\u0000')).digest())
}

/** A 32-bit seed from a labelled tuple. */
export function derivedSeed(...parts: (string | number)[]): number {
  return createHash('sha256').update([DOMAIN, 'seed', ...parts].join('\u0000')).digest().readUInt32BE(0)
}

const CREATED = new Date('2026-01-01T00:00:00Z')

/** The key of document `doc` under configuration `c`. */
export function documentKey(c: EvalConfig, runSeed: number, doc: number): WatermarkKey {
  return generateKey(c.input, { secret: derivedSecret(runSeed, c.label, 'doc', doc), created: CREATED })
}

/**
 * The single key a configuration's false-positive test uses (`extra` = 0), or one of the
 * further keys (1, 2, …) that show how much the one-key rate depends on the key.
 */
export function investigatorKey(c: EvalConfig, runSeed: number, extra = 0): WatermarkKey {
  const secret = extra === 0 ? derivedSecret(runSeed, c.label, 'fpr') : derivedSecret(runSeed, c.label, 'fpr', extra)
  return generateKey(c.input, { secret, created: CREATED })
}

/** Sampler seed of document `doc`: the same for watermarked and plain generation. */
export function samplerSeed(runSeed: number, doc: number): number {
  return derivedSeed(runSeed, 'sampler', doc)
}
