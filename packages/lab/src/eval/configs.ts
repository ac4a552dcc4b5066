/**
 * The watermark configurations the evaluation compares. The first is the published KGW
 * reference configuration (Kirchenbauer et al. 2023/2024: gamma 0.25, delta 2, SelfHash
 * over h = 4): the baseline every other configuration has to beat.
 */
import { resolveSpec, type SpecInput, type WatermarkSpec } from '@tracemark/watermark'

export interface EvalConfig {
  /** Short stable label used in tables and in key derivation. */
  readonly label: string
  /** One line for the report. */
  readonly description: string
  /** The spec input (resolved with the watermark package's defaults). */
  readonly input: SpecInput
}

export const EVAL_CONFIGS: readonly EvalConfig[] = [
  { label: 'kgw-ref', description: 'KGW reference (baseline): gamma 0.25, delta 2, SelfHash h=4', input: { scheme: 'kgw', gamma: 0.25, delta: 2, h: 4, seeding: 'self' } },
  { label: 'kgw-h1-left', description: 'KGW LeftHash h=1: gamma 0.25, delta 2', input: { scheme: 'kgw', gamma: 0.25, delta: 2, h: 1, seeding: 'left' } },
  { label: 'kgw-g0.5-h2', description: 'KGW gamma 0.5, delta 2, SelfHash h=2', input: { scheme: 'kgw', gamma: 0.5, delta: 2, h: 2, seeding: 'self' } },
  { label: 'gumbel-h4', description: 'Gumbel-max (Aaronson), h=4, distortion-free', input: { scheme: 'gumbel', h: 4 } },
  { label: 'gumbel-h2', description: 'Gumbel-max (Aaronson), h=2, distortion-free', input: { scheme: 'gumbel', h: 2 } },
  { label: 'synthid-d16', description: 'SynthID tournament, h=4, depth 16', input: { scheme: 'synthid', h: 4, depth: 16 } },
  { label: 'synthid-d30', description: 'SynthID tournament, h=4, depth 30', input: { scheme: 'synthid', h: 4, depth: 30 } },
  { label: 'unigram', description: 'Unigram (fixed green list): gamma 0.5, delta 2', input: { scheme: 'unigram', gamma: 0.5, delta: 2 } },
]

/** The resolved public spec of a configuration. */
export function specOf(c: EvalConfig): WatermarkSpec {
  return resolveSpec(c.input)
}

/**
 * The configurations selected by `names`: each name is a scheme (`kgw`: all kgw
 * configurations) or a label (`kgw-ref`). Unknown names are an error naming them.
 */
export function selectConfigs(names?: readonly string[]): EvalConfig[] {
  if (!names || names.length === 0) return EVAL_CONFIGS.slice()
  const unknown = names.filter((n) => !EVAL_CONFIGS.some((c) => c.label === n || c.input.scheme === n))
  if (unknown.length > 0) {
    throw new Error(`unknown scheme or configuration: ${unknown.join(', ')} (known: ${[...new Set(EVAL_CONFIGS.map((c) => c.input.scheme))].join(', ')}, ${EVAL_CONFIGS.map((c) => c.label).join(', ')})`)
  }
  return EVAL_CONFIGS.filter((c) => names.includes(c.label) || names.includes(c.input.scheme))
}

/** Context width h of a configuration (0 for unigram). */
export function contextWidthOf(c: EvalConfig): number {
  const s = specOf(c)
  return s.scheme === 'unigram' ? 0 : s.h
}
