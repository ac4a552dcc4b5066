import { collectAnswers, getTokenizer, type Answer, type EndpointOptions } from '@tracemark/detector'
import { splitCorpus, tokenizeDocuments } from '../corpus/corpus.js'
import { trainModel, type NgramModel } from '../model/ngram.js'
import { mixTrainingData, promptThenAnswer, type TrainingMix } from './mix.js'

export interface DistillOptions extends EndpointOptions {
  prompts: readonly string[]
  /** Answer tokens to buy from the endpoint (default 50 000). */
  budget?: number
  /** Tokens per answer (default 200). */
  maxTokens?: number
  /** Share of the student's training tokens that are answers (default 0.05). */
  fraction?: number
  /** The student's human text, as token ids (default: the lab corpus's held-out split, which the teacher never saw). */
  human?: readonly Uint32Array[]
  /** Student n-gram order (default 4, the teacher's). */
  order?: number
  temperature?: number
  concurrency?: number
  onProgress?: (p: { answers: number; tokens: number }) => void
}

export interface Distillation {
  student: NgramModel
  mix: Omit<TrainingMix, 'docs'>
  /** Every answer bought, in request order (some may not be in the mix: see `mix`). */
  answers: Answer[]
  /** Distinct prompts sent. */
  prompts: number
}

/**
 * What a distiller does: buy answers from an endpoint, mix them with human
 * text, train a student on the mix. Each answer is trained on after its prompt,
 * as instruction data is.
 */
export async function distill(o: DistillOptions): Promise<Distillation> {
  const tok = getTokenizer('cl100k_base')
  const answers = await collectAnswers({
    ...o,
    budget: o.budget ?? 50_000,
    countTokens: (t) => tok.encode(t).length,
  })
  const pairs = answers.map((a) => promptThenAnswer(tok.encode(a.prompt), tok.encode(a.text)))
  const human = o.human ?? tokenizeDocuments(splitCorpus().heldOut)
  const mix = mixTrainingData(pairs, human, o.fraction ?? 0.05)
  const student = trainModel(mix.docs, {
    order: o.order,
    meta: { kind: 'distilled student', answers: answers.length, answerTokens: mix.answerTokens, humanTokens: mix.humanTokens, fraction: mix.fraction },
  })
  const { docs: _docs, ...stats } = mix
  return { student, mix: stats, answers, prompts: new Set(answers.map((a) => a.prompt)).size }
}
