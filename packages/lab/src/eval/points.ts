/**
 * The three entropy points every headline table is reported at (docs/eval/calibration.md):
 *
 * - `t1`: temperature 1, no truncation — the lab's historical setting. The 4-gram model
 *   then carries ~5 nats per step, far more than a chat model: power is inflated.
 * - `calibrated`: the temperature at which the KGW configuration of Kirchenbauer et al.
 *   2023 (gamma 0.25, delta 2, LeftHash h = 1, multinomial sampling, 200 tokens)
 *   reproduces the paper's Table 2 figure, TPR 0.994 at z = 4 (`lab calibrate`).
 * - `low`: a code-like point, mean entropy ~0.5 nats per step.
 */
import type { Sampling } from './generation.js'

export const ENTROPY_POINTS: Readonly<Record<'t1' | 'calibrated' | 'low', Sampling>> = {
  t1: { temperature: 1, topP: 1 },
  calibrated: { temperature: 0.6, topP: 1 },
  low: { temperature: 0.25, topP: 1 },
}

export type EntropyPoint = keyof typeof ENTROPY_POINTS
