/**
 * @tracemark/watermark — token-level watermarks for language-model output.
 *
 * Keys and specs, the generation session a serving stack calls at every decoding
 * step, and the per-token score each scheme defines (which the detector uses).
 * Browser-safe: no Node-only imports.
 * @packageDocumentation
 */
export { generateKey, serializeKey, parseKey, computeKeyId, type WatermarkKey } from './keys.js'
export {
  resolveSpec,
  contextWidth,
  gumbelNonces,
  MAX_GUMBEL_NONCES,
  SCHEME_NAMES,
  SCHEME_DEFAULTS,
  DEFAULT_SCHEME,
  type WatermarkSpec,
  type SchemeSpec,
  type SchemeName,
  type SpecInput,
  type KgwSpec,
  type GumbelSpec,
  type SynthIdSpec,
  type UnigramSpec,
  type Seeding,
} from './spec.js'
export { createWatermarker, DEFAULT_PREFIX_NATS, PREFIX_MAX_TOKENS, type Watermarker, type Session, type SessionOptions } from './session.js'
export { sampleLogits, type SampleOptions } from './sampling.js'
export { scoreTokens, nullModel, type TokenScores, type NullModel } from './score.js'
export { seededRandom, sfc32 } from './random.js'
export { siphash24 } from './siphash.js'
export { canonicalJson } from './encoding.js'
export {
  FINGERPRINT_DEFAULTS,
  isOrderedRace,
  isRaceFingerprint,
  type FingerprintSpec,
  type RaceFingerprintSpec,
  type BiasFingerprintSpec,
} from './spec.js'
export { codewordScores, fingerprintVotes, type FingerprintVotes, type VoteOptions, type VotingTuples } from './fingerprint/votes.js'
export {
  decodeCandidates,
  registryCandidates,
  withoutAccount,
  codewordMatches,
  type FingerprintCandidate,
} from './fingerprint/decode.js'
export { accountCodeword, fingerprintCode, COLOURS } from './fingerprint/code.js'
export { rsCode, rsEncode, rsDecode, rsFromPositions, type RsCode } from './fingerprint/reedsolomon.js'
