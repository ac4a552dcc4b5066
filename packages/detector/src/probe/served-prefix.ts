/**
 * Default stride of a walk: one token asked at every position of our answers.
 * It queries as many tokens as a stride of 4 (asking 4 each), but every token is
 * asked exactly where our watermark chose, not after the suspect has left our
 * path. Measured on a 1% student at temperature 1, ~10k queried tokens
 * (docs/radioactivity/temperature-1.md): log10 p with the served account -135
 * and -132 against -31 and -30 at stride 4, and against all 2^32 accounts -126
 * and -122 against -22 and -2. It sends 4x the prompts, whose tokens (the
 * growing prefixes) are the walk's main cost.
 */
export const WALK_STEP = 1

/**
 * Probe prompts that walk through our own served answers: the logged prompt
 * followed by the first j tokens of the answer we served to it, for
 * j = start, start + step, ..., each asking the suspect for `step` tokens. The
 * prompts are ordered by j first, so no prompt reveals an answer token before
 * the suspect has been asked to produce it. Score the answers with
 * `radioactivityFromAnswers(wm, samples, { exclusion: 'causal' })`, in this
 * order, each answer received before the next prompt is sent.
 *
 * Why: a student learns our answers as whole paths, but at temperature 1 it
 * leaves a path within a few tokens, so probing with the bare logged prompts
 * mostly yields noise. Asked at every point along the path it reproduces our
 * next tokens wherever it learned them.
 *
 * Why the test stays exact: each prompt is decided by the key's values at the
 * windows inside it (the races that chose its prefix), never by the values at
 * any other window. A suspect whose answers depend only on the prompts sent so
 * far, and not otherwise on the key, therefore scores Exp(1) (gumbel) at every
 * window outside those prompts; at a window inside them, our own next token is
 * a tuple of a prompt already sent and is excluded, and any other token lost our
 * race there, which only makes its score smaller (the p-value conservative).
 */
export function servedPrefixPrompts(
  served: ReadonlyArray<{ prompt: ArrayLike<number>; answer: ArrayLike<number> }>,
  options: { start?: number; step?: number } = {},
): Array<{ prompt: Uint32Array; round: number }> {
  const start = options.start ?? 8
  const step = options.step ?? WALK_STEP
  if (!Number.isInteger(start) || start < 0) throw new RangeError(`start must be a non-negative integer, got ${start}`)
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`step must be a positive integer, got ${step}`)
  served.forEach(({ answer }, i) => {
    if (answer.length === 0) throw new RangeError(`served answer ${i} is empty`)
  })
  const longest = Math.max(0, ...served.map((s) => s.answer.length))
  const out: Array<{ prompt: Uint32Array; round: number }> = []
  for (let j = start, round = 0; j < longest; j += step, round++) {
    for (const { prompt, answer } of served) {
      if (j >= answer.length) continue
      const p = new Uint32Array(prompt.length + j)
      for (let i = 0; i < prompt.length; i++) p[i] = prompt[i]
      for (let i = 0; i < j; i++) p[prompt.length + i] = answer[i]
      out.push({ prompt: p, round })
    }
  }
  return out
}
