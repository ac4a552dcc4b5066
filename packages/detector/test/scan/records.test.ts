import { parseKey } from '@tracemark/watermark'
import { describe, expect, it } from 'vitest'
import { markedCorpus } from '../helpers/marked-corpus.js'
import { scoreBlock } from '../../src/scan/block.js'
import { createScorer } from '../../src/scan/document.js'
import { blockRecords } from '../../src/scan/records.js'
import { sourceSettings } from '../../src/scan/sources/index.js'
import type { SourceRecord } from '../../src/scan/types.js'

describe('a block\'s output records', () => {
  it('are the worker\'s records, renumbered and marked, with every field in its place', async () => {
    // blockRecords builds each document's record field by field (a fixed shape that
    // serializes fast); its line must be exactly the worker's record as it arrives
    // (structured clone), with the index shifted, `detected` set and `bytes` last, as
    // the records were always written. A field added to the worker's records and not
    // here, or one out of place, changes a line.
    const { keyTexts, lines } = markedCorpus()
    const records: SourceRecord[] = lines.map((l, i) => {
      const j = JSON.parse(l.startsWith('{not') ? '{}' : l) as { text?: unknown }
      const where = i % 2 ? { file: 'c.jsonl', line: i + 1 } : { file: 'c.parquet', row: i }
      return typeof j.text === 'string' ? { ...where, text: j.text } : { ...where, error: 'no text field' }
    })
    const scorer = createScorer(keyTexts.map((t) => parseKey(t)))
    // As a worker's message delivers it (the structured clone).
    const out = structuredClone(await scoreBlock([{ kind: 'records', records }], scorer, sourceSettings({})))
    const alpha = 1e-6
    const want = out.entries.map((e) => {
      if (e.type === 'error') return JSON.stringify({ type: 'error', file: e.file, line: e.line, row: e.row, reason: e.reason })
      const { bytes, ...r } = structuredClone(e)
      r.index += 1000
      r.detected = r.log10PValue < Math.log10(alpha)
      return JSON.stringify({ ...r, bytes })
    })
    const got = blockRecords(out.entries, 1000, alpha).map((r) => JSON.stringify(r))
    expect(got).toEqual(want)
    const docs = got.map((l) => JSON.parse(l)).filter((r) => r.type === 'document')
    expect(docs.some((r) => r.detected && r.span !== null), 'a watermarked document, with its span').toBe(true)
    expect(docs.some((r) => 'row' in r) && docs.some((r) => 'line' in r), 'rows and lines both located').toBe(true)
    expect(got.some((l) => l.startsWith('{"type":"error"'))).toBe(true)
    expect(docs[0].index).toBe(1000)
  })
})
