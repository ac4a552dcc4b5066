import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { seededRandom } from '@tracemark/watermark'
import { afterAll, describe, expect, it } from 'vitest'
import type { PooledPart } from '../../src/scan/document.js'
import { openState } from '../../src/scan/state.js'

const dir = mkdtempSync(join(tmpdir(), 'tracemark-state-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Records with multi-byte text of varied length, so lines straddle the reader's 1 MiB reads anywhere. */
function blocks(seed: number, count: number): Array<{ records: string[]; parts: PooledPart[] }> {
  const rnd = seededRandom(seed)
  return Array.from({ length: count }, (_, b) => ({
    records: Array.from({ length: 64 }, (_, i) => JSON.stringify({ type: i % 17 === 3 ? 'error' : 'document', file: `f-${b}`, reason: 'é—🙂'.repeat(1 + Math.floor(rnd() * 400)) })),
    parts: [{ keyIndex: 0, n: b + 1, sum: b / 2 }],
  }))
}

function replayed(path: string, scan: string) {
  const s = openState(path, scan)
  const records: string[] = []
  const parts: PooledPart[] = []
  s.replay((l) => records.push(l), (p) => parts.push(...p))
  s.close()
  return { consumed: s.consumed, records, parts }
}

describe('the resume state', () => {
  it('replays every completed block\'s records and evidence, in order, from a file read in pieces', () => {
    const path = join(dir, 'whole.state')
    const written = blocks(1, 90)
    const s = openState(path, 'scan-a')
    written.forEach((b, i) => s.append(b.records, (i + 1) * 64, b.parts))
    s.close()
    expect(statSync(path).size, 'several of the reader\'s 1 MiB pieces').toBeGreaterThan(3 << 20)
    const r = replayed(path, 'scan-a')
    expect(r.consumed).toBe(90 * 64)
    expect(r.records).toEqual(written.flatMap((b) => b.records))
    expect(r.parts).toEqual(written.flatMap((b) => b.parts))
  })

  it('drops a partial block after the last complete one, and anything after a damaged line', () => {
    const written = blocks(2, 5)
    for (const tail of ['partial', 'damaged'] as const) {
      const path = join(dir, `${tail}.state`)
      const s = openState(path, 'scan-b')
      written.slice(0, 3).forEach((b, i) => s.append(b.records, (i + 1) * 64, b.parts))
      s.close()
      const kept = readFileSync(path, 'utf8')
      // A kill mid-block: some of the next block's records, the last one cut short.
      // Damage: a line that does not parse, then lines that would (not trusted after it).
      appendFileSync(path, tail === 'partial' ? `${written[3].records.slice(0, 5).join('\n')}\n${written[3].records[5].slice(0, 40)}` : `{"type":"docu\n${written[3].records.join('\n')}\n{"type":"block","consumed":256,"parts":[]}\n`)
      const r = replayed(path, 'scan-b')
      expect(r.consumed, tail).toBe(3 * 64)
      expect(r.records).toEqual(written.slice(0, 3).flatMap((b) => b.records))
      expect(readFileSync(path, 'utf8') === kept, `${tail}: the file is cut back to its last complete block`).toBe(true)
      // It goes on from there: the next block appends after the kept ones.
      const again = openState(path, 'scan-b')
      again.append(written[3].records, 4 * 64, written[3].parts)
      again.close()
      expect(replayed(path, 'scan-b').records).toEqual(written.slice(0, 4).flatMap((b) => b.records))
    }
  })

  it('refuses a file that is not a state, or the state of another scan', () => {
    const path = join(dir, 'other.state')
    writeFileSync(path, 'hello\n')
    expect(() => openState(path, 'scan-c')).toThrow(/not a tracemark scan state file/)
    writeFileSync(path, `${JSON.stringify({ type: 'scan-state', scan: 'scan-d', version: 1 })}\n`)
    expect(() => openState(path, 'scan-c')).toThrow(/belongs to a different scan/)
    const fresh = replayed(path, 'scan-d')
    expect([fresh.consumed, fresh.records, fresh.parts]).toEqual([0, [], []])
  })
})
