/**
 * Linear-time encoding for any text. BPE merges within one pre-token, and its cost grows
 * faster than the pre-token's length (1 MiB of `a`, or 100K CJK characters with no
 * space, took minutes or crashed tiktoken's WASM with "unreachable"). Every tokenizer we
 * ship or load splits pre-tokens at whitespace, so a pre-token never spans more than one
 * run of non-whitespace (or of whitespace) characters, plus one leading character.
 *
 * The bound: a run longer than {@link MAX_RUN} UTF-16 code units is cut every MAX_RUN
 * units from its start (never inside a surrogate pair), and the pieces between cuts are
 * encoded separately, their ids concatenated. Text without such a run is encoded in one
 * call, so its ids are exactly the unbounded tokenizer's. Decoding the ids gives the
 * text back either way: each piece is encoded losslessly.
 *
 * Generation and detection both go through {@link boundRuns} (it wraps every tokenizer
 * `getTokenizer` returns), so a text re-encoded for detection is cut at the same places.
 */

/**
 * Longest run encoded in one piece, in UTF-16 code units. Far above any word, number or
 * ordinary URL (the longest run in the Brown and SOTU corpora is 35), and small enough
 * that BPE on one piece stays cheap. Measured (cl100k_base, tiktoken, µs per character
 * of one long run): at 256, 1.4 for `a`, 1.5 for mixed letters, 5 for CJK; at 1024 it was
 * 3 to 6 times that, and it keeps growing with the piece (see `pnpm bench tokenize`).
 */
export const MAX_RUN = 256

/** Unicode White_Space, as the pre-tokenizers' `\s` sees it. */
function isSpace(c: number): boolean {
  if (c < 0x85) return c === 0x20 || (c >= 0x09 && c <= 0x0d)
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
}

/** The whitespace class of {@link isSpace} as a regex class. */
const SPACE_CLASS = '[\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]'
const longSpaceRuns = new Map<number, RegExp>()

/**
 * False only when no run in `text` is longer than `maxRun`, so it has no cut: the
 * character loop below cost ~11 ns per character (a branch mispredicted at every
 * word boundary), 11 % of tokenizing. A run of non-whitespace that long holds no
 * U+0020, so gaps of at most `maxRun` between spaces (found by the runtime's native
 * search) rule it out; a regex rules out long whitespace runs.
 */
function mayHaveLongRun(text: string, maxRun: number): boolean {
  if (text.length <= maxRun) return false
  for (let prev = -1; prev < text.length; ) {
    let next = text.indexOf(' ', prev + 1)
    if (next < 0) next = text.length
    if (next - prev - 1 > maxRun) return true
    prev = next
  }
  let spaces = longSpaceRuns.get(maxRun)
  if (!spaces) longSpaceRuns.set(maxRun, (spaces = new RegExp(`${SPACE_CLASS}{${maxRun + 1}}`)))
  return spaces.test(text)
}

/**
 * The cut positions of `text` (ascending offsets, excluding 0 and text.length): inside every
 * run of whitespace or of non-whitespace longer than `maxRun`, one cut every `maxRun` units
 * (moved back one unit rather than split a surrogate pair). Empty for ordinary text.
 */
export function runCuts(text: string, maxRun: number = MAX_RUN): number[] {
  if (!(Number.isInteger(maxRun) && maxRun >= 2)) throw new RangeError('maxRun must be an integer >= 2')
  if (!mayHaveLongRun(text, maxRun)) return []
  const cuts: number[] = []
  let lastCut = 0
  let space = text.length > 0 && isSpace(text.charCodeAt(0))
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const s = isSpace(c)
    if (s !== space) {
      space = s
      lastCut = i
      continue
    }
    if (i - lastCut >= maxRun) {
      // A low surrogate belongs with the high one before it: cut one unit earlier.
      const at = c >= 0xdc00 && c <= 0xdfff ? i - 1 : i
      if (at > lastCut) {
        cuts.push(at)
        lastCut = at
      }
    }
  }
  return cuts
}

/** Splits `text` at {@link runCuts}; the pieces concatenate to `text`. */
export function boundedPieces(text: string, maxRun: number = MAX_RUN): string[] {
  const cuts = runCuts(text, maxRun)
  if (cuts.length === 0) return [text]
  const pieces: string[] = []
  let from = 0
  for (const at of cuts) {
    pieces.push(text.slice(from, at))
    from = at
  }
  pieces.push(text.slice(from))
  return pieces
}

/** Anything with an `encode` from text to ids (the detector's `Tokenizer` and others). */
export interface Encoder {
  readonly name: string
  encode(text: string): Uint32Array
}

/** The ids of consecutive pieces of a text, joined in order. */
export function concatIds(parts: readonly Uint32Array[]): Uint32Array {
  const out = new Uint32Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * `tok` with `encode` bounded as described above; every other member is kept. A failure
 * inside the underlying encoder (a WASM trap reads just "unreachable") is rethrown with
 * the tokenizer's name and the piece's length, never the text.
 */
export function boundRuns<T extends Encoder>(tok: T, maxRun: number = MAX_RUN): T {
  const inner = tok.encode.bind(tok)
  const encodePiece = (piece: string): Uint32Array => {
    try {
      return inner(piece)
    } catch (e) {
      throw new Error(`tokenizer ${tok.name} failed on a ${piece.length}-character piece of text: ${(e as Error)?.message ?? String(e)}`)
    }
  }
  const encode = (text: string): Uint32Array => {
    const pieces = boundedPieces(text, maxRun)
    if (pieces.length === 1) return encodePiece(text)
    return concatIds(pieces.map(encodePiece))
  }
  // The wrapper inherits every other member (fields, getters, methods) from `tok` itself.
  return Object.assign(Object.create(tok) as T, { encode })
}
