import { createHash } from 'node:crypto'
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKey, parseKey, serializeKey } from '@tracemark/watermark'
import { TOOL } from '../packages/detector/src/evidence/version.js'
import { openScanRecords } from '../packages/detector/src/evidence/make.js'
import { testSecret, watermarkedWords, runCli as cli } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'tracemark-evidence-'))
const HUMAN = 'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, it was the epoch of belief.'


/** A copy of a bundle to tamper with, leaving the original intact for the next test. */
function copyBundle(src: string): string {
  const to = mkdtempSync(join(dir, 'copy-'))
  cpSync(src, to, { recursive: true })
  return to
}

function editEvidence(bundle: string, edit: (e: Record<string, any>) => void): void {
  const file = join(bundle, 'evidence.json')
  const e = JSON.parse(readFileSync(file, 'utf8'))
  edit(e)
  writeFileSync(file, JSON.stringify(e, null, 2))
}

/** Every file of a bundle, as text. */
function bundleText(bundle: string): string {
  return readdirSync(bundle, { recursive: true })
    .map((f) => join(bundle, String(f)))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n')
}

/** The secret in every encoding a leak could take. */
function secretForms(keyPath: string): string[] {
  const b64 = JSON.parse(readFileSync(keyPath, 'utf8')).secret as string
  const bytes = Buffer.from(b64, 'base64')
  return [b64, b64.replace(/=+$/, ''), bytes.toString('hex'), bytes.toString('hex').toUpperCase(), bytes.toString('base64url')]
}

const keyPath = join(dir, 'key.json')
const otherKeyPath = join(dir, 'other.json')
let wmText = ''

beforeAll(async () => {
  expect((await cli(['keygen', '--scheme', 'kgw', '--out', keyPath])).code).toBe(0)
  expect((await cli(['keygen', '--scheme', 'kgw', '--out', otherKeyPath])).code).toBe(0)
  // The key is keygen's (the commitment tests need one), so it is random: 300 tokens, so
  // that detection at 1e-6 never hinges on the draw (40 random keys: the weakest
  // p = 10^-24.7; at 150 tokens it was 10^-7.9).
  wmText = watermarkedWords(parseKey(readFileSync(keyPath, 'utf8')), 300, 5).text
  writeFileSync(join(dir, 'wm.txt'), wmText)
})

describe('key commitment', () => {
  it('keygen writes a public commitment next to the key: keyId, spec, time, no secret', () => {
    const c = JSON.parse(readFileSync(join(dir, 'key.commitment.json'), 'utf8'))
    const key = parseKey(readFileSync(keyPath, 'utf8'))
    expect(c).toEqual({ format: 'tracemark-key-commitment', version: 1, keyId: key.keyId, spec: key.spec, created: key.created })
    for (const s of secretForms(keyPath)) expect(JSON.stringify(c)).not.toContain(s)
  })

  it('verify checks the key against a commitment and names the mismatch', async () => {
    const ev = join(dir, 'ev-commit')
    await cli(['detect', '--key', keyPath, '--evidence', ev, join(dir, 'wm.txt')])
    expect((await cli(['verify', '--key', keyPath, '--commitment', join(dir, 'key.commitment.json'), ev])).code).toBe(0)
    const r = await cli(['verify', '--key', keyPath, '--commitment', join(dir, 'other.commitment.json'), ev])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/first difference: commitment: keyId tm1-/)
  })
})

describe('detect --evidence', () => {
  const ev = join(dir, 'ev-detect')
  beforeAll(async () => {
    const r = await cli(['detect', '--key', keyPath, '--evidence', ev, join(dir, 'wm.txt')])
    expect(r.code).toBe(0)
  })

  it('writes the claim: tool version, key public id and spec, parameters, null hypothesis, input hash, figures', () => {
    const e = JSON.parse(readFileSync(join(ev, 'evidence.json'), 'utf8'))
    const key = parseKey(readFileSync(keyPath, 'utf8'))
    expect(e.tool).toEqual(TOOL)
    expect(e.keys).toEqual([{ keyId: key.keyId, spec: key.spec }])
    expect(e.parameters).toMatchObject({ alpha: 1e-6, tokenizerBackend: 'gpt-tokenizer', normalize: true })
    expect(e.nullHypothesis).toMatch(/does not depend on the key/)
    expect(e.inputs[0].sha256).toBe(createHash('sha256').update(wmText).digest('hex'))
    expect(e.records[0]).toMatchObject({ detected: true, keyId: key.keyId })
    expect(e.records[0].scored).toBeGreaterThan(50)
    expect(e.records[0].log10PValue).toBeLessThan(-6)
    expect(readFileSync(join(ev, 'input.txt'), 'utf8')).toBe(wmText)
  })

  it('verify: identical, exit 0', async () => {
    const r = await cli(['verify', '--key', keyPath, ev])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^VERIFIED/)
    expect(r.out).toMatch(/identical {2}record 1 \(input\.txt\)/)
  })

  it('a changed input is caught: exit 1, the input named', async () => {
    const b = copyBundle(ev)
    writeFileSync(join(b, 'input.txt'), wmText.replace(/ \w+$/, ' changed'))
    const r = await cli(['verify', '--key', keyPath, b])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/first difference: inputs\[0\] .*wm\.txt: SHA-256 .* differs/)
  })

  it('a changed number is caught: exit 1, the field named', async () => {
    const b = copyBundle(ev)
    editEvidence(b, (e) => (e.records[0].score += 1))
    const r = await cli(['verify', '--key', keyPath, b])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/first difference: records\[0\]\.score: bundle \d+, recomputed \d+/)
  })

  it('a changed parameter is caught (the figures no longer follow from it)', async () => {
    const b = copyBundle(ev)
    editEvidence(b, (e) => (e.parameters.alpha = 0.5))
    const r = await cli(['verify', '--key', keyPath, b])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/records\[0\]\.alpha: bundle 0\.000001, recomputed 0\.5/)
  })

  it('a different key is caught: exit 1, both keyIds named', async () => {
    const other = parseKey(readFileSync(otherKeyPath, 'utf8'))
    const r = await cli(['verify', '--key', otherKeyPath, ev])
    expect(r.code).toBe(1)
    expect(r.out).toContain(`first difference: keys[0]: the bundle was made with`)
    expect(r.out).toContain(`the key file(s) given are ${other.keyId}`)
  })

  it('a malformed bundle is exit 2 naming the file and field', async () => {
    const b = copyBundle(ev)
    editEvidence(b, (e) => delete e.inputs[0].sha256)
    const r = await cli(['verify', '--key', keyPath, b])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/evidence\.json: "inputs\[0\]\.sha256" must be 64 hex digits/)
    const c = copyBundle(ev)
    writeFileSync(join(c, 'evidence.json'), '{"format":')
    expect((await cli(['verify', '--key', keyPath, c])).err).toMatch(/evidence\.json: not JSON/)
    expect((await cli(['verify', '--key', keyPath, join(dir, 'nowhere')])).code).toBe(2)
  })

  it('refuses to write into a directory that already holds a bundle (exit 2), leaving it intact', async () => {
    const before = readFileSync(join(ev, 'evidence.json'), 'utf8')
    const r = await cli(['detect', '--key', otherKeyPath, '--evidence', ev, join(dir, 'wm.txt')])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/already holds an evidence bundle/)
    expect(readFileSync(join(ev, 'evidence.json'), 'utf8')).toBe(before)
  })

  it('no bundle file holds the secret, in any encoding', () => {
    const all = bundleText(ev)
    for (const s of secretForms(keyPath)) expect(all).not.toContain(s)
  })
})

describe('signing', () => {
  it('a signed bundle verifies against its signer; a bundle edited after signing or another signer is caught', async () => {
    const ev = join(dir, 'ev-signed')
    await cli(['detect', '--key', keyPath, '--evidence', ev, join(dir, 'wm.txt')])
    const sk = join(dir, 'signing.json')
    const pub = (await cli(['signing-key', '--out', sk])).out.trim()
    expect(pub).toMatch(/^[0-9a-f]{64}$/)
    expect(statSync(sk).mode & 0o777).toBe(0o600)
    // The signing key is a secret like a watermark key: --force over a 0644 file or a
    // symlink leaves a fresh 0600 file and never writes through the link.
    const loose = join(dir, 'loose-signing.json')
    writeFileSync(loose, 'old\n', { mode: 0o644 })
    expect((await cli(['signing-key', '--out', loose, '--force'])).code).toBe(0)
    expect(statSync(loose).mode & 0o777).toBe(0o600)
    const target = join(dir, 'link-target.txt')
    writeFileSync(target, 'untouched\n')
    const link = join(dir, 'link-signing.json')
    symlinkSync(target, link)
    expect((await cli(['signing-key', '--out', link])).code).toBe(2)
    expect((await cli(['signing-key', '--out', link, '--force'])).code).toBe(0)
    expect(readFileSync(target, 'utf8')).toBe('untouched\n')
    expect((await cli(['sign', '--signing-key', sk, ev])).code).toBe(0)
    expect((await cli(['verify', '--key', keyPath, '--signer', pub, ev])).code).toBe(0)
    const wrong = await cli(['verify', '--key', keyPath, '--signer', 'ab'.repeat(32), ev])
    expect(wrong.code).toBe(1)
    expect(wrong.out).toMatch(/first difference: signature\.json: signed by [0-9a-f]{64}, not by the --signer/)
    // Reformatting evidence.json changes no figure, but it is no longer what was signed.
    const b = copyBundle(ev)
    editEvidence(b, () => {})
    const edited = await cli(['verify', '--key', keyPath, b])
    expect(edited.code).toBe(1)
    expect(edited.out).toMatch(/the signature does not match evidence\.json/)
    // An unsigned bundle fails when a signer is required.
    const unsigned = await cli(['verify', '--key', keyPath, '--signer', pub, join(dir, 'ev-detect')])
    expect(unsigned.code).toBe(1)
    expect(unsigned.out).toMatch(/signature\.json: missing/)
  })
})

describe('scan --evidence', () => {
  const corpus = join(dir, 'corpus')
  const ev = join(dir, 'ev-scan')
  beforeAll(async () => {
    const { mkdirSync } = await import('node:fs')
    mkdirSync(join(corpus, 'sub'), { recursive: true })
    const jsonl = [{ text: wmText }, { text: HUMAN }, 'not json', { text: HUMAN.toUpperCase() }].map((r) => (typeof r === 'string' ? r : JSON.stringify(r)))
    writeFileSync(join(corpus, 'a.jsonl'), `${jsonl.join('\n')}\n`)
    writeFileSync(join(corpus, 'sub', 'b.txt'), wmText.split(' ').slice(0, 80).join(' '))
    const r = await cli(['scan', '--key', keyPath, '--key', otherKeyPath, '--workers', '1', '--evidence', ev, corpus])
    expect(r.code).toBe(0)
  })

  it('references the corpus by path and SHA-256 (not copied) and keeps every record, the broken line included', () => {
    const e = JSON.parse(readFileSync(join(ev, 'evidence.json'), 'utf8'))
    // Version 2: the records in their own file, hashed in evidence.json; the summary inline.
    expect(e.version).toBe(2)
    expect(e.inputs.map((i: any) => [i.role, i.inBundle, i.source])).toEqual([
      ['corpus', false, join(corpus, 'a.jsonl')],
      ['corpus', false, join(corpus, 'sub', 'b.txt')],
      ['records', true, 'records.ndjson'],
    ])
    expect(readdirSync(ev).sort()).toEqual(['evidence.json', 'records.ndjson'])
    const recordsFile = readFileSync(join(ev, 'records.ndjson'), 'utf8')
    expect(e.inputs[2]).toMatchObject({ sha256: createHash('sha256').update(recordsFile).digest('hex'), bytes: Buffer.byteLength(recordsFile) })
    const records = recordsFile.trimEnd().split('\n').map((l) => JSON.parse(l))
    expect(e.keys).toHaveLength(2)
    expect([...records, ...e.records].map((r: any) => r.type)).toEqual(['document', 'document', 'error', 'document', 'document', 'summary'])
    expect(records[2]).toMatchObject({ file: join(corpus, 'a.jsonl'), line: 3 })
    expect(e.records.at(-1).seconds).toBeUndefined()
    for (const s of [...secretForms(keyPath), ...secretForms(otherKeyPath)]) expect(bundleText(ev)).not.toContain(s)
  })

  it('verify re-reads the corpus: identical, exit 0', async () => {
    const r = await cli(['verify', '--key', keyPath, '--key', otherKeyPath, ev])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/identical {2}record 6 \(scan summary\)/)
    expect(r.out).toMatch(/identical {2}records\.ndjson: 5 identical records/)
  })

  it('records the race decoding gate of a scan, verifies with it, and refuses one out of range', async () => {
    const gated = join(dir, 'ev-gate')
    const r = await cli(['scan', '--key', keyPath, '--workers', '1', '--decode-below', '0.3', '--evidence', gated, join(corpus, 'a.jsonl')])
    expect(r.code).toBe(0)
    expect(JSON.parse(readFileSync(join(gated, 'evidence.json'), 'utf8')).parameters.decodeBelow).toBe(0.3)
    expect((await cli(['verify', '--key', keyPath, gated])).code).toBe(0)
    const b = copyBundle(gated)
    editEvidence(b, (e) => (e.parameters.decodeBelow = 2))
    const bad = await cli(['verify', '--key', keyPath, b])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/"parameters\.decodeBelow" must be a number in \(0, 1\] or null/)
  })

  it('a corpus file changed after the scan is caught, and so is its record', async () => {
    const b = copyBundle(ev)
    const moved = join(dir, 'corpus-changed')
    cpSync(corpus, moved, { recursive: true })
    editEvidence(b, (e) => {
      for (const i of e.inputs) i.file = i.file.replace(corpus, moved)
    })
    writeFileSync(join(moved, 'sub', 'b.txt'), HUMAN)
    const r = await cli(['verify', '--key', keyPath, '--key', otherKeyPath, b])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/first difference: inputs\[1\] .*b\.txt: SHA-256/)
    expect(r.out).toMatch(/DIFFERENT {2}record 5 \(.*b\.txt\): records\[4\]\.tokens/)
  })

  it('a changed p-value is caught, by the records file\'s hash and by the record, and a missing key is named', async () => {
    const b = copyBundle(ev)
    const file = join(b, 'records.ndjson')
    const lines = readFileSync(file, 'utf8').split('\n')
    lines[1] = JSON.stringify({ ...JSON.parse(lines[1]), log10PValue: -9 })
    writeFileSync(file, lines.join('\n'))
    const edited = await cli(['verify', '--key', keyPath, '--key', otherKeyPath, b])
    expect(edited.code).toBe(1)
    expect(edited.out).toMatch(/first difference: inputs\[2\] records\.ndjson: SHA-256/)
    expect(edited.out).toMatch(/DIFFERENT {2}record 2 \(.*a\.jsonl:2\): records\[1\]\.log10PValue: bundle -9, recomputed/)
    // The hash made to match: the record itself still differs.
    const text = readFileSync(file, 'utf8')
    editEvidence(b, (e) => Object.assign(e.inputs[2], { sha256: createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) }))
    const r = await cli(['verify', '--key', keyPath, '--key', otherKeyPath, b])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/first difference: records\[1\]\.log10PValue: bundle -9, recomputed/)
    expect(r.out).toMatch(/identical {2}records\.ndjson: 4 identical records/)
    const one = await cli(['verify', '--key', keyPath, ev])
    expect(one.code).toBe(1)
    expect(one.out).toMatch(/first difference: keys\[1\]: the bundle was made with tm1-/)
  })

  it('a records file cut short, or with a line added, is caught record by record', async () => {
    for (const edit of ['cut', 'added'] as const) {
      const b = copyBundle(ev)
      const file = join(b, 'records.ndjson')
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
      writeFileSync(file, `${(edit === 'cut' ? lines.slice(0, 3) : [...lines, lines[0]]).join('\n')}\n`)
      const text = readFileSync(file, 'utf8')
      editEvidence(b, (e) => Object.assign(e.inputs[2], { sha256: createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) }))
      const r = await cli(['verify', '--key', keyPath, '--key', otherKeyPath, b])
      expect(r.code, edit).toBe(1)
      expect(r.out).toMatch(edit === 'cut' ? /first difference: records\[3\]: [^\n]*recomputed/ : /first difference: records\[5\]: /)
    }
  })

  it('a version-1 scan bundle (every record in evidence.json) still verifies, and the versions\' shapes are enforced', async () => {
    const b = copyBundle(ev)
    const records = readFileSync(join(b, 'records.ndjson'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l))
    editEvidence(b, (e) => {
      e.version = 1
      e.records = [...records, ...e.records]
      e.inputs = e.inputs.filter((i: any) => i.role !== 'records')
    })
    const r = await cli(['verify', '--key', keyPath, '--key', otherKeyPath, b])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/identical {2}record 5 \(.*b\.txt\)/)
    // Version 2 without its records file, and version 1 with one, are malformed: exit 2 naming the field.
    editEvidence(b, (e) => (e.version = 2))
    const v2 = await cli(['verify', '--key', keyPath, '--key', otherKeyPath, b])
    expect(v2.code).toBe(2)
    expect(v2.err).toMatch(/"inputs" of a version-2 bundle must hold one records file/)
    const c = copyBundle(ev)
    editEvidence(c, (e) => (e.version = 1))
    const v1 = await cli(['verify', '--key', keyPath, '--key', otherKeyPath, c])
    expect(v1.code).toBe(2)
    expect(v1.err).toMatch(/"inputs" of a version-1 bundle hold no records file/)
  })

  it('hashes the records file as it writes it, across many buffered writes', () => {
    // ~2.8 MB of records with multi-byte text: three buffered writes (of ~1 MiB), each hashed as it goes.
    const out = join(dir, 'ev-records-only')
    const w = openScanRecords(out)
    const lines = Array.from({ length: 6000 }, (_, i) => JSON.stringify({ type: 'document', index: i, note: 'é—🙂'.repeat(i % 97) }))
    for (const l of lines) w.add(l)
    const input = w.finish()
    const text = readFileSync(join(out, 'records.ndjson'), 'utf8')
    expect(text).toBe(lines.map((l) => `${l}\n`).join(''))
    expect(input.bytes).toBeGreaterThan(2 << 20)
    expect(input).toMatchObject({ role: 'records', inBundle: true, file: 'records.ndjson', bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') })
  })

  it('refuses standard input with --evidence (no one could re-read it): exit 2', async () => {
    const r = await cli(['scan', '--key', keyPath, '--evidence', join(dir, 'ev-stdin'), '-'])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/standard input cannot be re-read/)
  })
})

describe('probe --evidence', () => {
  let server: Server
  let url = ''
  // A fixed key and 400 watermarked tokens that the answers cover: with the random key
  // and the 150 tokens of the other tests, the probe's p ranged 2e-11 to 2e-7 over six
  // runs, close enough to alpha = 1e-6 to fail now and then (it did once in CI). The z-score
  // grows with the square root of the unique tuples, ~1.6x here, and the tail far
  // faster: this key gives p = 7e-39 (another key tried, 4e-34).
  const probeKeyPath = join(dir, 'probe-key.json')
  beforeAll(async () => {
    const key = generateKey({ scheme: 'kgw' }, { secret: testSecret(7, 12) })
    writeFileSync(probeKeyPath, serializeKey(key), { mode: 0o600 })
    // An endpoint that answers every prompt with watermarked words: the bundle holds them verbatim.
    const words = watermarkedWords(key, 400, 5).text.split(' ')
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        res.setHeader('content-type', 'application/json')
        if (req.url === '/v1/models') return res.end(JSON.stringify({ data: [{ id: 'fake' }] }))
        const { seed } = JSON.parse(body)
        // Ten answers of 60 words, spread over the whole text.
        const start = (seed * 37) % (words.length - 60)
        res.end(JSON.stringify({ choices: [{ text: words.slice(start, start + 60).join(' ') }] }))
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('keeps every prompt and answer; verify recomputes identically and catches an edited answer', async () => {
    const ev = join(dir, 'ev-probe')
    const p = await cli(['probe', '--key', probeKeyPath, '--endpoint', url, '--budget', '600', '--max-tokens', '60', '--concurrency', '1', '--evidence', ev])
    expect(p.code).toBe(0)
    const lines = readFileSync(join(ev, 'answers.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    const e = JSON.parse(readFileSync(join(ev, 'evidence.json'), 'utf8'))
    expect(lines.length).toBe(e.records[0].answers)
    expect(lines[0].prompt.length).toBeGreaterThan(0)
    expect(e.parameters).toMatchObject({ endpoint: url, budget: 600, maxTokens: 60, alpha: 1e-6 })
    expect((await cli(['verify', '--key', probeKeyPath, ev])).code).toBe(0)
    const b = copyBundle(ev)
    lines[0].text = HUMAN
    const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n'
    writeFileSync(join(b, 'answers.jsonl'), text)
    const sha = createHash('sha256').update(text).digest('hex')
    // Even with the hash updated to match, the figures no longer follow from the answers.
    editEvidence(b, (x) => (x.inputs[0].sha256 = sha))
    const r = await cli(['verify', '--key', probeKeyPath, b])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/first difference: records\[0\]\.\w+: bundle \S+, recomputed \S+/)
    for (const s of secretForms(probeKeyPath)) expect(bundleText(ev)).not.toContain(s)
  })
})

it('the bundle names the version in package.json', () => {
  expect(TOOL.version).toBe(JSON.parse(readFileSync(new URL('../packages/detector/package.json', import.meta.url), 'utf8')).version)
})
