import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generateKey, serializeKey } from '@tracemark/watermark'
import { readPrompts, readServed } from '../src/cli/input.js'
import { apiBase } from '../src/probe/client.js'

const dir = mkdtempSync(join(tmpdir(), 'tm-prompts-'))
const file = (name: string, text: string) => {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}

describe('probe inputs', () => {
  it('reads prompts from text lines and from JSONL', () => {
    expect(readPrompts(file('p.txt', 'First prompt\n\n  Second, with spaces \r\n'))).toEqual(['First prompt', '  Second, with spaces '])
    expect(readPrompts(file('p.jsonl', '"a string"\n{"prompt": "an object", "id": 3}\n\n'))).toEqual(['a string', 'an object'])
  })

  it('names the file and line of a bad prompt', () => {
    const bad = file('bad.jsonl', '{"prompt": "ok"}\n{"prompt": 5}\n')
    expect(() => readPrompts(bad)).toThrow(`${bad}:2: expected a JSON string or an object with a non-empty string "prompt"`)
    const broken = file('broken.jsonl', '{"prompt": "ok"}\n{"prompt": \n')
    expect(() => readPrompts(broken)).toThrow(`${broken}:2: not valid JSON`)
    expect(() => readPrompts(file('empty.txt', '\n\n'))).toThrow(/no prompts/)
  })

  it('refuses a key file given as prompts, which would send the secret to the endpoint', () => {
    const key = file('key.json', serializeKey(generateKey({ scheme: 'gumbel' })))
    expect(() => readPrompts(key)).toThrow(`${key} is a tracemark key file, not prompts (nothing was sent)`)
  })

  it('reads served answers from JSONL and names the file and line of a bad one', () => {
    expect(readServed(file('s.jsonl', '{"prompt": "Q", "answer": "A b"}\n\n{"prompt": "", "answer": "c"}\n'))).toEqual([
      { prompt: 'Q', answer: 'A b' },
      { prompt: '', answer: 'c' },
    ])
    const bad = file('bad-served.jsonl', '{"prompt": "Q", "answer": "A"}\n{"prompt": "Q"}\n')
    expect(() => readServed(bad)).toThrow(`${bad}:2: expected an object with a string "prompt" and a non-empty string "answer"`)
    const broken = file('broken-served.jsonl', '{"prompt": "Q", \n')
    expect(() => readServed(broken)).toThrow(`${broken}:1: not valid JSON`)
    expect(() => readServed(file('empty-served.jsonl', '\n'))).toThrow(/no served answers/)
  })

  it('accepts endpoints with or without /v1', () => {
    expect(apiBase('http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000/v1')
    expect(apiBase('http://127.0.0.1:8000/v1/')).toBe('http://127.0.0.1:8000/v1')
    expect(apiBase('https://host/api/v1')).toBe('https://host/api/v1')
    expect(() => apiBase('localhost:8000')).toThrow(/http and https|not a URL/)
    expect(() => apiBase('not a url')).toThrow(/not a URL/)
  })
})
