/**
 * @tracemark/detector — find tracemark watermarks in text, corpora and models,
 * with exact p-values under a stated null hypothesis.
 * @packageDocumentation
 */
export { detect, type DetectOptions, type DetectionResult } from './detect.js'
export { getTokenizer, TOKENIZER_NAMES, type Tokenizer, type TokenizerName } from './text/tokenizer.js'
