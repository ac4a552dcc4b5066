/**
 * Watermark specs: everything about a key except its secret. A spec is public
 * (it goes into reports), so an investigator can state exactly which test ran.
 */

/** How the pseudo-random context of a token is formed from the tokens before it. */
export type Seeding = 'left' | 'self'

/** Kirchenbauer et al. 2023: a gamma-fraction green list per context, logits of green tokens raised by delta. */
export interface KgwSpec {
  scheme: 'kgw'
  /** Fraction of the vocabulary that is green in each context. */
  gamma: number
  /** Logit bias added to green tokens. */
  delta: number
  /** Context width: how many previous tokens seed the green list. */
  h: number
  /**
   * `left`: the keyed hash of all `h` previous tokens (LeftHash when h = 1).
   * `self`: SelfHash (Kirchenbauer et al. 2024): a keyed min-hash over the window
   * and the candidate itself, so one edited token in the window usually leaves the
   * seed intact.
   */
  seeding: Seeding
}

/** Aaronson 2022 / Fernandez et al. 2023: Gumbel-max sampling with keyed uniforms, distortion-free. */
export interface GumbelSpec {
  scheme: 'gumbel'
  h: number
  /**
   * Number of per-request nonces N (1..4096). Each request draws one nonce, which
   * selects one of N independent keyed streams, so the same prompt no longer gives
   * the same answer; detection takes the best of the N streams at the exact price
   * 1 − (1 − p)^N. Absent (keys made before nonces existed): one stream, the
   * deterministic scheme, with the same keyId as before.
   */
  nonces?: number
}

/** Dathathri et al. 2024 (SynthID-Text): tournament sampling over `depth` layers of keyed g-bits. */
export interface SynthIdSpec {
  scheme: 'synthid'
  h: number
  /** Number of tournament layers m (1..32). */
  depth: number
}

/** Zhao et al. 2023: one fixed green list for every context. */
export interface UnigramSpec {
  scheme: 'unigram'
  gamma: number
  delta: number
}

export type SchemeSpec = KgwSpec | GumbelSpec | SynthIdSpec | UnigramSpec
export type SchemeName = SchemeSpec['scheme']

/**
 * A multi-bit fingerprint (the API account) carried by the watermark. The payload
 * is Reed–Solomon encoded over GF(256) into `positions` bytes, and each token's
 * window picks a position (a keyed hash of the window).
 *
 * Two embeddings:
 * - `race` (gumbel keys; the default there): the keyed uniforms of the Gumbel race
 *   are drawn from the window AND the codeword byte at its position, so each token
 *   is still an exact draw from the model's distribution (distortion-free). The
 *   zero-bit test scores each token by its best byte value; attribution scores all
 *   256 per position and decodes softly.
 * - colour bias (every scheme; the only one for kgw, synthid, unigram, and the
 *   embedding of key files written before `race` existed, which carry `delta` and
 *   `h` and no `embedding` field): the vocabulary is split into 256 colours per
 *   window and the colour equal to the position's byte gets `delta` added, which
 *   distorts the text.
 */
export type FingerprintSpec = RaceFingerprintSpec | BiasFingerprintSpec

/** The distortion-free fingerprint of a gumbel key (see {@link FingerprintSpec}). */
export interface RaceFingerprintSpec {
  embedding: 'race'
  /** Payload width in bits (1..48): accounts are 0 .. 2^bits - 1. */
  bits: number
  /** Codeword length n (RS positions), > ceil(bits / 8), <= 255. */
  positions: number
  /**
   * How a window's 256 race uniforms are drawn. `ordered` (every race key made
   * since it existed): their minimum first, so the zero-bit test costs one mixer
   * call per token instead of 256 (same joint law). Absent: 256 independent draws,
   * the race keys written before, which keep their keyId and their texts.
   */
  draw?: 'ordered'
}

/** The colour-bias fingerprint (see {@link FingerprintSpec}); resolved specs carry no `embedding` field. */
export interface BiasFingerprintSpec {
  embedding?: undefined
  /** Payload width in bits (1..48): accounts are 0 .. 2^bits - 1. */
  bits: number
  /** Codeword length n (RS positions), > ceil(bits / 8), <= 255. */
  positions: number
  /** Logit bias of the favoured colour. */
  delta: number
  /** Context width of the position/colour PRF. */
  h: number
}

/** The public part of a key: the scheme, its parameters, and the model's id space. */
export type WatermarkSpec = SchemeSpec & {
  /** Name of the model's tokenizer (e.g. `cl100k_base`); the detector must tokenize with the same one. */
  tokenizer: string
  /**
   * For a tokenizer loaded from a Hugging Face `tokenizer.json` (not built in): the
   * SHA-256 (hex) of the file's canonical JSON (keys sorted, no whitespace), so a
   * detector refuses any other vocabulary. Absent for the built-in encodings, which
   * keeps the keyIds of keys made before it existed unchanged.
   */
  tokenizerSha256?: string
  /** Length of the model's logits vector. */
  vocabSize: number
  /** Present when the key embeds a per-account fingerprint. */
  fingerprint?: FingerprintSpec
}

/**
 * Defaults of a colour-bias fingerprint: 32 bits in an RS(32, 4) code, delta 4 on
 * one of 256 colours, h = 4. A gumbel key's fingerprint defaults to
 * `{ embedding: 'race', bits: 32, positions: 32 }` instead.
 */
export const FINGERPRINT_DEFAULTS: BiasFingerprintSpec = { bits: 32, positions: 32, delta: 4, h: 4 }

/** Whether a fingerprint is carried by the Gumbel race itself (distortion-free). */
export function isRaceFingerprint(f: FingerprintSpec): f is RaceFingerprintSpec {
  return f.embedding === 'race'
}

/** Whether a race fingerprint draws its uniforms minimum first (see {@link RaceFingerprintSpec.draw}). */
export function isOrderedRace(f: FingerprintSpec): boolean {
  return f.embedding === 'race' && f.draw === 'ordered'
}

export const SCHEME_NAMES: readonly SchemeName[] = ['kgw', 'gumbel', 'synthid', 'unigram']

/**
 * The scheme `tracemark keygen` uses when none is named: gumbel with h = 4. In the
 * lab's evaluation (docs/eval/eval.md) it is distortion-free (perplexity ratio 1.02
 * vs 1.34 for the KGW reference), needs ~20 tokens for 99% TPR at FPR 1e-6, keeps
 * TPR 1.00 under 30% substitution and 90% copy-paste, and has the least key-dependent
 * false-positive rate. The eval's automatic rule ranks h = 2 first by a margin that
 * rests on 18 emoji-attack documents; h = 4 is kept because short windows make the
 * key easier to learn from outputs: in docs/security.md gumbel h = 2 is forged in 100% of
 * attempts after 100 answers, h = 4 in none after 1,000.
 * `tracemark keygen` adds the race fingerprint (32 bits) to gumbel keys unless told
 * not to: with one stream and no fingerprint, watermark stealing forges text that tests
 * positive (docs/security.md), with the race it did not.
 * The race makes each token a function of the key and the window, so a session opens
 * every answer with a plain prefix of >= 8 nats of surprisal (`SessionOptions.prefixNats`):
 * regenerated answers differ as plain sampling's do at no detection cost beyond those
 * few tokens (docs/eval/diversity.md), and a session given no account draws its payload
 * per request, which keeps later tokens diverse too.
 */
export const DEFAULT_SCHEME: SchemeName = 'gumbel'

/**
 * Parameters used when a field is not given. The kgw defaults are the published
 * reference configuration (gamma 0.25, delta 2, SelfHash, h = 4). synthid uses 30
 * layers: in the lab's evaluation it keeps the same quality as 16 and survives 30%
 * word substitution far better (TPR@1e-6 at 200 tokens 0.68 vs 0.41).
 */
export const SCHEME_DEFAULTS: { [K in SchemeName]: Omit<Extract<SchemeSpec, { scheme: K }>, 'scheme'> } = {
  kgw: { gamma: 0.25, delta: 2, h: 4, seeding: 'self' },
  gumbel: { h: 4 },
  synthid: { h: 4, depth: 30 },
  unigram: { gamma: 0.5, delta: 2 },
}

/**
 * Largest nonce set of a gumbel key: detection scores every nonce, so its cost grows
 * with N (N mixer calls per scored token) and the p-value pays up to log10 N decades.
 * The session's plain prefix makes regenerations differ without nonces; nonces remain
 * for keys made with them.
 */
export const MAX_GUMBEL_NONCES = 4096

/** Nonces of a gumbel key that does not say (a key made before nonces existed): one stream. */
export function gumbelNonces(spec: WatermarkSpec): number {
  return spec.scheme === 'gumbel' ? (spec.nonces ?? 1) : 1
}

const DEFAULT_TOKENIZER = { tokenizer: 'cl100k_base', vocabSize: 100_277 }

/** Input to {@link resolveSpec}: a scheme name and any parameters to override. */
export type SpecInput = { scheme: SchemeName } & Partial<Record<string, unknown>>

/**
 * A spec error. `field` and `rule` name what is wrong without the offending value,
 * which the message also shows: a key file reader reports only the former, since a
 * value pasted into a tampered key file could be its secret.
 */
export interface SpecError extends Error {
  field: string
  rule: string
}

function fail(field: string, rule: string, got?: unknown): never {
  const shown = got === undefined ? '' : `, got ${typeof got === 'number' ? got : JSON.stringify(got)}`
  throw Object.assign(new Error(`invalid watermark spec: ${field} ${rule}${shown}`), { field, rule })
}

function num(v: unknown, field: string, lo: number, hi: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(field, 'must be a number', v ?? null)
  if (integer && !Number.isInteger(v)) fail(field, 'must be an integer', v)
  if (v < lo || v > hi) fail(field, `must be in [${lo}, ${hi}]`, v)
  return v
}

/**
 * Fills defaults into a partial spec and validates every field, naming the field
 * at fault. Unknown fields are rejected so a typo never silently runs the default.
 */
export function resolveSpec(input: SpecInput): WatermarkSpec {
  const scheme = input.scheme
  if (!SCHEME_NAMES.includes(scheme)) fail('scheme', `must be one of ${SCHEME_NAMES.join(', ')}`, scheme ?? null)
  const merged: Record<string, unknown> = { ...DEFAULT_TOKENIZER, ...SCHEME_DEFAULTS[scheme], ...input }
  const allowed = new Set(['scheme', 'tokenizer', 'tokenizerSha256', 'vocabSize', 'fingerprint', ...Object.keys(SCHEME_DEFAULTS[scheme]), ...(scheme === 'gumbel' ? ['nonces'] : [])])
  for (const k of Object.keys(merged)) if (!allowed.has(k)) fail(k, `is not a parameter of scheme ${scheme}`)
  if (typeof merged.tokenizer !== 'string' || merged.tokenizer.length === 0) fail('tokenizer', 'must be a non-empty string')
  const vocabSize = num(merged.vocabSize, 'vocabSize', 2, 2 ** 31 - 1, true)
  const base: { tokenizer: string; tokenizerSha256?: string; vocabSize: number; fingerprint?: FingerprintSpec } = { tokenizer: merged.tokenizer, vocabSize }
  if (merged.tokenizerSha256 !== undefined) {
    if (typeof merged.tokenizerSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(merged.tokenizerSha256)) {
      fail('tokenizerSha256', 'must be 64 lowercase hex digits')
    }
    base.tokenizerSha256 = merged.tokenizerSha256
  }
  if (merged.fingerprint !== undefined) base.fingerprint = resolveFingerprint(merged.fingerprint, scheme)
  switch (scheme) {
    case 'kgw': {
      const seeding = merged.seeding
      if (seeding !== 'left' && seeding !== 'self') fail('seeding', 'must be "left" or "self"', seeding ?? null)
      return {
        scheme,
        gamma: num(merged.gamma, 'gamma', 1e-6, 1 - 1e-6),
        delta: num(merged.delta, 'delta', 0, 100),
        h: num(merged.h, 'h', 1, 64, true),
        seeding,
        ...base,
      }
    }
    case 'gumbel': {
      // nonces is kept only when given, so a key made before it existed resolves to
      // the same spec and keeps its keyId (generateKey fills GUMBEL_NONCES for new keys).
      const nonces = merged.nonces === undefined ? {} : { nonces: num(merged.nonces, 'nonces', 1, MAX_GUMBEL_NONCES, true) }
      // The race fingerprint keys the race by the payload byte; its detection searches
      // 256 bytes per token, and nonces would multiply that search (not implemented).
      if ((nonces.nonces ?? 1) > 1 && base.fingerprint && isRaceFingerprint(base.fingerprint)) {
        fail('nonces', 'must be 1 with a race fingerprint (fingerprint.embedding "race"): per-request nonces are for keys without one')
      }
      return { scheme, h: num(merged.h, 'h', 1, 64, true), ...nonces, ...base }
    }
    case 'synthid':
      return { scheme, h: num(merged.h, 'h', 1, 64, true), depth: num(merged.depth, 'depth', 1, 32, true), ...base }
    case 'unigram':
      return { scheme, gamma: num(merged.gamma, 'gamma', 1e-6, 1 - 1e-6), delta: num(merged.delta, 'delta', 0, 100), ...base }
  }
}

/**
 * The embedding is `race` when asked for, or for a gumbel key that names neither
 * `delta` nor `h` (the colour bias's parameters); otherwise the colour bias, whose
 * resolved form has no `embedding` field so that key files written before `race`
 * existed resolve to themselves (and keep their keyId).
 */
function resolveFingerprint(input: unknown, scheme: SchemeName): FingerprintSpec {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) fail('fingerprint', 'must be an object')
  const given = input as Record<string, unknown>
  for (const k of Object.keys(given)) {
    if (!(k in FINGERPRINT_DEFAULTS) && k !== 'embedding' && k !== 'draw') fail(`fingerprint.${k}`, 'is not a fingerprint parameter')
  }
  const embedding = given.embedding ?? (scheme === 'gumbel' && given.delta === undefined && given.h === undefined ? 'race' : 'bias')
  if (embedding !== 'race' && embedding !== 'bias') fail('fingerprint.embedding', 'must be "race" or "bias"', embedding)
  const f: Record<string, unknown> = { ...FINGERPRINT_DEFAULTS, ...given }
  const bits = num(f.bits, 'fingerprint.bits', 1, 48, true)
  const positions = num(f.positions, 'fingerprint.positions', Math.ceil(bits / 8) + 1, 255, true)
  if (embedding === 'race') {
    if (scheme !== 'gumbel') fail('fingerprint.embedding', `"race" needs scheme gumbel (the race is its sampler), got ${scheme}`)
    for (const k of ['delta', 'h']) if (given[k] !== undefined) fail(`fingerprint.${k}`, 'is a parameter of the "bias" embedding, not of "race"')
    // A spec that names no embedding is a new key: ordered. One that names "race" without
    // a draw is a key file written before the ordered draw existed: independent.
    const draw = given.draw ?? (given.embedding === undefined ? 'ordered' : 'independent')
    if (draw !== 'ordered' && draw !== 'independent') fail('fingerprint.draw', 'must be "ordered" or "independent"', draw)
    return draw === 'ordered' ? { embedding: 'race', bits, positions, draw: 'ordered' } : { embedding: 'race', bits, positions }
  }
  if (given.draw !== undefined) fail('fingerprint.draw', 'is a parameter of the "race" embedding, not of "bias"')
  return {
    bits,
    positions,
    delta: num(f.delta, 'fingerprint.delta', 0, 100),
    h: num(f.h, 'fingerprint.h', 1, 64, true),
  }
}

/** Context width of a spec (0 for unigram: every token is scored, with no context). */
export function contextWidth(spec: SchemeSpec): number {
  return spec.scheme === 'unigram' ? 0 : spec.h
}
