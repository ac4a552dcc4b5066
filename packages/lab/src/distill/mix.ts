/** A student's training data: answers from the teacher, and human text. */
export interface TrainingMix {
  docs: Uint32Array[]
  answerTokens: number
  humanTokens: number
  /** answerTokens / (answerTokens + humanTokens), as achieved. */
  fraction: number
}

/**
 * Mixes answers with human documents so that answers make `fraction` of the
 * tokens. Everything of the scarcer side is used: when there is not enough
 * human text for the ratio, answers are dropped (from the end) instead. Human
 * documents are taken in order, the last one cut to length.
 */
export function mixTrainingData(answers: readonly Uint32Array[], human: readonly Uint32Array[], fraction: number): TrainingMix {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`fraction must be in [0, 1], got ${fraction}`)
  const total = (xs: readonly Uint32Array[]) => xs.reduce((n, x) => n + x.length, 0)
  const A = total(answers)
  const H = total(human)
  let useA = fraction === 0 ? 0 : A
  let useH = fraction === 1 ? 0 : Math.round((A * (1 - fraction)) / fraction)
  if (fraction > 0 && fraction < 1 && useH > H) {
    useH = H
    useA = Math.round((H * fraction) / (1 - fraction))
  }
  if (fraction === 0) useH = H
  const a = takeTokens(answers, useA)
  const h = takeTokens(human, useH)
  const answerTokens = total(a)
  const humanTokens = total(h)
  return { docs: [...a, ...h], answerTokens, humanTokens, fraction: answerTokens / Math.max(1, answerTokens + humanTokens) }
}

/** The first n tokens of the documents, in order, the last document cut to length. */
export function takeTokens(docs: readonly Uint32Array[], n: number): Uint32Array[] {
  const out: Uint32Array[] = []
  for (const x of docs) {
    if (n <= 0) break
    out.push(x.length <= n ? x : x.subarray(0, n))
    n -= x.length
  }
  return out
}

/** One training document: the prompt's ids, then the answer's (as instruction data is trained on). */
export function promptThenAnswer(prompt: ArrayLike<number>, answer: ArrayLike<number>): Uint32Array {
  const doc = new Uint32Array(prompt.length + answer.length)
  doc.set(prompt)
  doc.set(answer, prompt.length)
  return doc
}
