import { describe, expect, it } from 'vitest'
import { brownText, detokenize } from '../src/corpus/brown.js'
import { HELD_OUT_FRACTION, isHeldOut, loadCorpus, splitCorpus, splitHash, tokenizeDocuments } from '../src/corpus/corpus.js'
import { sotuText } from '../src/corpus/sotu.js'

describe('Brown text reconstruction', () => {
  it('strips tags, attaches punctuation, turns `` and \'\' into double quotes', () => {
    const raw = "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, and/cc Mr./np Allen/np Jr./np ./.\nIt/pps ended/vbd ;/. ;/.\nthen/rb (/( (/( 1957/cd )/) it/pps went/vbd on/rp ./.\n"
    expect(brownText(raw)).toBe('The jury said "no evidence", and Mr. Allen Jr. It ended; then (1957) it went on.')
  })

  it('keeps paragraphs: a tab or a blank line opens one, a headline is one of its own', () => {
    const raw = 'Austin/np-hl ,/,-hl Texas/np-hl\n--/-- Committee/nn approval/nn ./.\n\n\n\tDaniel/np led/vbd ./.\nHe/pps won/vbd ./.\n\tA/at new/jj one/cd ./.\n'
    expect(brownText(raw)).toBe('Austin, Texas\n\n-- Committee approval.\n\nDaniel led. He won.\n\nA new one.')
  })

  it('handles the single quote, the inch mark and a slash inside a word', () => {
    expect(detokenize(['He', 'said', "'", 'go', "'", '.'])).toBe("He said 'go'.")
    expect(detokenize(['a', "1/8''", "''", 'bar', 'and/or', '1-1/2'])).toBe('a 1/8" bar and/or 1-1/2')
  })
})

describe('SOTU text', () => {
  it('drops audience reactions and collapses whitespace', () => {
    expect(sotuText('Thank you. [Applause]  We  did it. [Laughter]\n')).toBe('Thank you. We did it.')
  })
})

describe('loadCorpus', () => {
  const docs = loadCorpus()

  it('has the 500 Brown documents and the 233 State of the Union addresses, with unique ids', () => {
    expect(docs.filter((d) => d.source === 'brown')).toHaveLength(500)
    expect(docs.filter((d) => d.source === 'sotu')).toHaveLength(233)
    expect(new Set(docs.map((d) => d.id)).size).toBe(docs.length)
    for (const d of docs) expect(d.text.length, d.id).toBeGreaterThan(1000)
  })

  it('Brown text has no POS tags left, readable punctuation and paragraphs', () => {
    const brown = docs.filter((d) => d.source === 'brown')
    const all = brown.map((d) => d.text).join('\n')
    // a tag is a slash followed by lowercase letters / $ / * right before a space or line end
    expect(all).not.toMatch(/\/(at|nn|nns|np|vbd|vbz|in|jj|cc|rb|ppss|pps|dt|cs|md|be)(-[a-z]+)?(\s|$)/)
    expect(all).not.toMatch(/\S\/[a-z]+\$/) // possessive tags like np$
    expect(all).not.toContain('``')
    expect(all).not.toContain("''")
    expect(all).not.toMatch(/\w ,/) // no "word ,"
    expect(all).not.toMatch(/; ;/)
    const ca01 = brown.find((d) => d.id === 'brown/ca01')!
    expect(ca01.text.startsWith('The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.\n\n')).toBe(true)
    expect(ca01.text).toContain('\n\nMerger proposed\n\nHowever, the jury said it believes "these two offices')
    // paragraph structure survives: on average well over 10 paragraphs per document
    const paragraphs = brown.reduce((s, d) => s + d.text.split('\n\n').length, 0)
    expect(paragraphs).toBeGreaterThan(10 * brown.length)
  })

  it('SOTU documents are the addresses, without audience reactions', () => {
    const first = docs.find((d) => d.id === 'sotu/1790_george_washington_n')!
    expect(first.text.startsWith('Fellow-Citizens of the Senate and House of Representatives:')).toBe(true)
    for (const d of docs.filter((x) => x.source === 'sotu')) expect(d.text).not.toMatch(/\[(Laughter|Applause)\]/)
  })
})

describe('splitCorpus', () => {
  const docs = loadCorpus()
  const { train, heldOut } = splitCorpus(docs)

  it('partitions the documents: none in both splits, none lost', () => {
    const tr = new Set(train.map((d) => d.id))
    expect(heldOut.some((d) => tr.has(d.id))).toBe(false)
    expect(train.length + heldOut.length).toBe(docs.length)
    // ~30 % held out (733 documents: binomial sd ≈ 12)
    expect(heldOut.length / docs.length).toBeGreaterThan(HELD_OUT_FRACTION - 0.06)
    expect(heldOut.length / docs.length).toBeLessThan(HELD_OUT_FRACTION + 0.06)
    expect(heldOut.some((d) => d.source === 'brown') && heldOut.some((d) => d.source === 'sotu')).toBe(true)
  })

  it('is stable: fixed documents land in fixed splits', () => {
    // SHA-256("tracemark-lab-split-v1:<id>") / 2^32 < 0.3
    expect(isHeldOut('brown/ca01')).toBe(true)
    expect(isHeldOut('brown/ca02')).toBe(false)
    expect(isHeldOut('brown/cr09')).toBe(false)
    expect(isHeldOut('sotu/1790_george_washington_n')).toBe(false)
    expect(isHeldOut('sotu/2021_joseph_r_biden_d')).toBe(true)
    expect(heldOut.map((d) => d.id).slice(0, 4)).toEqual(['brown/ca01', 'brown/ca05', 'brown/ca07', 'brown/ca08'])
    expect(splitHash('brown/ca01')).toBeCloseTo(splitHash('brown/ca01'), 15)
    // a smaller held-out fraction gives a subset
    const small = splitCorpus(docs, 0.15).heldOut.map((d) => d.id)
    const big = new Set(heldOut.map((d) => d.id))
    expect(small.every((id) => big.has(id))).toBe(true)
  })

  it('holds out at least 1M cl100k tokens', () => {
    const count = (ds: typeof docs) => tokenizeDocuments(ds).reduce((s, t) => s + t.length, 0)
    const heldOutTokens = count(heldOut)
    const trainTokens = count(train)
    console.log(`split: train ${train.length} docs / ${trainTokens} tokens, held-out ${heldOut.length} docs / ${heldOutTokens} tokens`)
    // measured: train 2,313,963 tokens, held-out 1,040,009 tokens
    expect(heldOutTokens).toBeGreaterThanOrEqual(1_000_000)
    expect(trainTokens).toBeGreaterThan(2_000_000)
  })
})
