import { describe, expect, it } from 'vitest'
import { formatSummary } from '../../src/cli/format.js'
import { createTaskProgress, timeLeft } from '../../src/cli/progress.js'
import { plural } from '../../src/text/plural.js'
import { printable } from '../../src/text/printable.js'

describe('what the CLI prints', () => {
  it('says 1 document, 2 documents', () => {
    expect(plural(1, 'document')).toBe('1 document')
    expect(plural(0, 'document')).toBe('0 documents')
    expect(plural(2, 'entry', 'entries')).toBe('2 entries')
    const summary = formatSummary({ documents: 1, tokens: 1, seconds: 0.1, errors: [{}], errorCount: 1, fdr: 0.01, flagged: 1, pooledPValue: 0.5, pooledLog10PValue: Math.log10(0.5), accounts: [{ account: 7, documents: 1 }] } as never)
    expect(summary).toContain('1 document, 1 token in 0.1 s; 1 input error\n')
    expect(summary).toContain(': 1 document\n')
    expect(summary).toContain('account 7: 1 flagged document')
    expect(summary).not.toMatch(/\b1 \w+s\b/)
  })

  it('progress shows done/total and the time left at the rate so far, on a terminal only', () => {
    // Half done in 10 s: 10 s left; a tenth done in 60 s: 9 min left.
    expect(timeLeft(50, 100, 10)).toBe('~10 s left')
    expect(timeLeft(10, 100, 60)).toBe('~9 min left')
    expect(timeLeft(0, 100, 5)).toBe('')
    expect(timeLeft(100, 100, 5)).toBe('')
    let shown = ''
    const p = createTaskProgress({ out: () => {}, err: (s) => (shown += s) }, { total: 2000, unit: 'tokens', tty: true })
    p.update(500, plural(3, 'answer'))
    expect(shown).toMatch(/^\r500\/2000 tokens, 3 answers(, ~\d+ (s|min) left)? +$/)
    p.clear()
    expect(shown.endsWith('\r\x1b[K')).toBe(true)
    let piped = ''
    const q = createTaskProgress({ out: () => {}, err: (s) => (piped += s) }, { total: 10, unit: 'tokens', tty: false })
    q.update(5)
    q.clear()
    expect(piped).toBe('')
  })

  it('printable removes escape sequences whole and makes other controls visible', () => {
    expect(printable('ok\x1b[31mred\x1b[0m')).toBe('okred')
    expect(printable('a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b')).toBe('alinkb')
    expect(printable('line\r\nforged\u202Eevil\x00')).toBe('line??forged?evil?')
    expect(printable('é ü 中文 emoji 🙂')).toBe('é ü 中文 emoji 🙂')
    expect(printable('x'.repeat(10), 4)).toBe('xxxx…')
  })
})
