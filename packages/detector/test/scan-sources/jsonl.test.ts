import { createWriteStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readSources } from '../../src/scan/sources/index.js'
import { bytes, cat, collect, repeated, tempDir } from './helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  tmp = await tempDir()
})
afterAll(() => tmp.cleanup())

describe('JSONL', () => {
  it('reads a nested field path, CRLF line endings and skips blank lines with true line numbers', async () => {
    const file = tmp.path('chat.jsonl')
    const rec = (a: string) => JSON.stringify({ messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: a }] })
    // A UTF-8 byte order mark before the first record must not break its JSON.
    await writeFile(file, `\uFEFF${rec('first answer')}\r\n\r\n   \r\n${rec('second ünïcode answer')}\r\n\n${rec('third, no final newline')}`)
    expect(await collect([file], { field: 'messages.1.content' })).toEqual([
      { file, line: 1, text: 'first answer' },
      { file, line: 4, text: 'second ünïcode answer' },
      { file, line: 6, text: 'third, no final newline' },
    ])
  })

  it('reports every kind of bad line at its line number and keeps the valid lines around it', async () => {
    const file = tmp.path('bad.jsonl')
    const lines: (string | Uint8Array)[] = [
      '{"text":"ok 1"}', // 1
      '{"text": "broken', // 2: invalid JSON
      '{"body":"no text field"}', // 3
      '{"text": 42}', // 4
      '{"text": null}', // 5
      '{"text":"ok 6"}', // 6
      bytes('{"text":"bad ', [0xff, 0xfe], '"}'), // 7: invalid UTF-8
      '{"text":"   \\n\\t "}', // 8: whitespace-only document
      '[1, 2]', // 9: not an object
      '{"text":"ok 10 ✓"}', // 10: valid UTF-8 right after the invalid line
      '{"text":{"nested":true}}', // 11
      '{"text":["a"]}', // 12
    ]
    await writeFile(file, cat(lines.map((l) => bytes(l, '\n'))))
    const records = await collect([file])
    expect(records.map((r) => [r.line, r.text ?? r.error])).toEqual([
      [1, 'ok 1'],
      [2, expect.stringMatching(/^invalid JSON: .+/)],
      [3, 'no field text'],
      [4, 'field text is a number, not a string'],
      [5, 'field text is null, not a string'],
      [6, 'ok 6'],
      [7, 'invalid UTF-8'],
      [8, 'empty document'],
      [9, 'no field text'],
      [10, 'ok 10 ✓'],
      [11, 'field text is an object, not a string'],
      [12, 'field text is an array, not a string'],
    ])
    // The parser's message is kept but shortened: it can quote the whole line back.
    expect(records[1].error!.length).toBeLessThanOrEqual(100)
    expect(records.every((r) => r.file === file)).toBe(true)
  })

  it('names the missing dot path and indexes arrays only with numbers', async () => {
    const file = tmp.path('paths.jsonl')
    await writeFile(file, ['{"messages":[{"content":"only one"}]}', '{"messages":{"1":{"content":"keyed by string"}}}', '{"messages":"flat"}'].join('\n'))
    expect(await collect([file], { field: 'messages.1.content' })).toEqual([
      { file, line: 1, error: 'no field messages.1.content' },
      { file, line: 2, text: 'keyed by string' },
      { file, line: 3, error: 'no field messages.1.content' },
    ])
  })

  it('reports a line over maxDocumentBytes with its size and reads on', async () => {
    const file = tmp.path('limit.jsonl')
    const long = JSON.stringify({ text: 'x'.repeat(200) })
    await writeFile(file, `{"text":"a"}\n${long}\r\n{"text":"b"}\n${long}`)
    expect(await collect([file], { maxDocumentBytes: 100 })).toEqual([
      { file, line: 1, text: 'a' },
      { file, line: 2, error: `line of ${long.length} bytes exceeds the limit of 100` },
      { file, line: 3, text: 'b' },
      { file, line: 4, error: `line of ${long.length} bytes exceeds the limit of 100` },
    ])
    // Exactly at the limit is allowed, CRLF not counted.
    const exact = tmp.path('exact.jsonl')
    await writeFile(exact, `${long}\r\n`)
    expect(await collect([exact], { maxDocumentBytes: long.length })).toEqual([{ file: exact, line: 1, text: 'x'.repeat(200) }])
  })

  it('skips a 100 MB line with bounded memory and still reads the next line', async () => {
    const file = tmp.path('huge.jsonl')
    const out = createWriteStream(file)
    const write = async (s: string | Uint8Array) => {
      if (!out.write(s)) await once(out, 'drain')
    }
    await write('{"text":"before"}\n{"text":"')
    const chunk = repeated(1 << 20, 'a') // 1 MiB
    for (let i = 0; i < 100; i++) await write(chunk)
    await write('"}\n{"text":"after"}\n')
    out.end()
    await once(out, 'finish')

    global.gc?.()
    const base = process.memoryUsage().rss
    let peak = base
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5)
    const records = []
    for await (const r of readSources([file], {})) {
      peak = Math.max(peak, process.memoryUsage().rss)
      records.push(r)
    }
    clearInterval(sampler)
    expect(records).toEqual([
      { file, line: 1, text: 'before' },
      { file, line: 2, error: `line of ${100 * (1 << 20) + 11} bytes exceeds the limit of ${16 * 1024 * 1024}` },
      { file, line: 3, text: 'after' },
    ])
    // At most the 16 MiB limit is ever buffered: far below the 100 MB line.
    expect(peak - base).toBeLessThan(64 * 1024 * 1024)
  })

  it('reports a missing file and goes on with the next input', async () => {
    const missing = tmp.path('nope.jsonl')
    const ok = tmp.path('ok.jsonl')
    await writeFile(ok, '{"text":"here"}\n')
    expect(await collect([missing, ok])).toEqual([
      { file: missing, error: 'cannot read: ENOENT' },
      { file: ok, line: 1, text: 'here' },
    ])
  })

  it('treats .ndjson and .json as JSONL and honours an explicit format', async () => {
    const a = tmp.path('a.ndjson')
    const b = tmp.path('b.json')
    const c = tmp.path('c.txt')
    for (const f of [a, b, c]) await writeFile(f, '{"text":"doc"}\n')
    expect(await collect([a, b])).toEqual([
      { file: a, line: 1, text: 'doc' },
      { file: b, line: 1, text: 'doc' },
    ])
    expect(await collect([c], { format: 'jsonl' })).toEqual([{ file: c, line: 1, text: 'doc' }])
    expect(await collect([c])).toEqual([{ file: c, text: '{"text":"doc"}\n' }])
  })

  it('rejects an invalid field path or limit up front', async () => {
    await expect(collect([], { field: 'a..b' })).rejects.toThrow(RangeError)
    await expect(collect([], { maxDocumentBytes: 0 })).rejects.toThrow(RangeError)
  })
})
