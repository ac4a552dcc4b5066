/**
 * @tracemark/detector — find tracemark watermarks in text, corpora and models,
 * with exact p-values under a stated null hypothesis.
 * @packageDocumentation
 */
export { detect, type DetectOptions, type DetectionResult } from './detect.js'
export {
  attributeTokens,
  attributeVotes,
  trimmedMatches,
  NULL_MATCH_RATE,
  type Attribution,
  type AccountEvidence,
  type AttributeOptions,
} from './attribution.js'
export {
  getTokenizer,
  TOKENIZER_NAMES,
  TOKENIZER_BACKENDS,
  type Tokenizer,
  type TokenizerName,
  type TokenizerBackend,
  type TokenizerSource,
} from './text/tokenizer.js'
export type { TokenizerChoice } from './text/key-tokenizer.js'
export { normalizeText, DEFAULT_NORMALIZE, type NormalizeOptions } from './text/normalize.js'
export {
  radioactivityFromAnswers,
  radioactivityByReading,
  type RadioactivityResult,
  type RadioactivityOptions,
} from './radioactivity.js'
export { probeEndpoint, PROBE_TEMPERATURE, type ProbeOptions, type ProbeResult } from './probe/probe.js'
export { collectAnswers, type CollectOptions, type Answer } from './probe/collect.js'
export type { EndpointOptions } from './probe/client.js'
export { DEFAULT_PROBE_PROMPTS } from './probe/prompts.js'
export { servedPrefixPrompts } from './probe/served-prefix.js'
export { readKeyFile } from './cli/keyfile.js'
export { readPrompts } from './cli/input.js'
// Command-line helpers the lab's CLI shares with tracemark's.
export { createTaskProgress } from './cli/progress.js'
export { interruptOnSignals } from './cli/signals.js'
export { plural } from './text/plural.js'
export { printable } from './text/printable.js'
