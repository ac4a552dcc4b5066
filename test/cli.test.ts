import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseKey } from '@tracemark/watermark'
import { run } from '../packages/detector/src/cli/program.js'
import { watermarkedWords } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'tracemark-cli-'))
const HUMAN = `It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of
foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, it was
the season of Darkness, it was the spring of hope, it was the winter of despair, we had everything before us,
we had nothing before us, we were all going direct to Heaven, we were all going direct the other way.`

async function cli(args: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  if (stdin !== undefined) {
    // The in-process runner reads files; stdin is exercised with the real binary below.
    const f = join(dir, `stdin-${Math.random()}.txt`)
    writeFileSync(f, stdin)
    args = args.map((a) => (a === '-' ? f : a))
  }
  const code = await run(args, { out: (s) => (out += s), err: (s) => (err += s) })
  return { code, out, err }
}

describe('tracemark CLI', () => {
  const keyPath = join(dir, 'key.json')
  let secretB64 = ''
  let watermarked = ''

  beforeAll(async () => {
    const r = await cli(['keygen', '--scheme', 'kgw', '--param', 'gamma=0.25', '--param', 'delta=2', '--out', keyPath])
    expect(r.code).toBe(0)
    secretB64 = JSON.parse(readFileSync(keyPath, 'utf8')).secret
    // keygen's key is random: 300 tokens keep detection at 1e-6 clear of the draw (40
    // random keys of this spec: the weakest p = 10^-10.1 at 150 tokens, 10^-22.1 at 300).
    watermarked = watermarkedWords(parseKey(readFileSync(keyPath, 'utf8')), 300, 5).text
    writeFileSync(join(dir, 'wm.txt'), watermarked)
    writeFileSync(join(dir, 'human.txt'), HUMAN)
  })

  it('keygen writes a 0600 key file and prints only the keyId', async () => {
    const p = join(dir, 'k2.json')
    const r = await cli(['keygen', '--scheme', 'synthid', '--param', 'depth=8', '--out', p])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^tm1-[0-9a-f]{32}\n$/)
    expect(r.err).toBe('')
    expect(statSync(p).mode & 0o777).toBe(0o600)
    const key = parseKey(readFileSync(p, 'utf8'))
    expect(r.out.trim()).toBe(key.keyId)
    expect(key.spec).toMatchObject({ scheme: 'synthid', depth: 8 })
    // Never overwrite a key by accident.
    const again = await cli(['keygen', '--scheme', 'kgw', '--out', p])
    expect(again.code).toBe(2)
    expect(again.err).toMatch(/exists; pass --force/)
  })

  it('keygen: a new gumbel key carries the 32-bit race fingerprint (ordered draw); --no-fingerprint gives one stream, with the stealing note; nonces=N asks for N streams', async () => {
    const p = join(dir, 'g.json')
    const made = await cli(['keygen', '--out', p])
    expect(made.code).toBe(0)
    expect(made.err).toBe('')
    const spec = parseKey(readFileSync(p, 'utf8')).spec
    expect(spec).toMatchObject({ scheme: 'gumbel', h: 4, fingerprint: { embedding: 'race', bits: 32, positions: 32, draw: 'ordered' } })
    expect('nonces' in spec).toBe(false)
    const plain = join(dir, 'g1.json')
    const one = await cli(['keygen', '--no-fingerprint', '--out', plain])
    expect(one.code).toBe(0)
    // The stealing measurement is pointed to, and the fingerprinted default is recommended for disputes.
    expect(one.err).toMatch(/forge.*docs\/security\.md.*keep the default fingerprint/s)
    expect('fingerprint' in parseKey(readFileSync(plain, 'utf8')).spec).toBe(false)
    expect((await cli(['keygen', '--no-fingerprint', '--fingerprint-bits', '8', '--out', join(dir, 'g2.json')])).err).toMatch(/--no-fingerprint cannot be combined/)
    const g3 = join(dir, 'g3.json')
    expect((await cli(['keygen', '--fingerprint-embedding', 'race', '--out', g3])).code).toBe(0)
    expect(parseKey(readFileSync(g3, 'utf8')).spec.fingerprint).toMatchObject({ draw: 'ordered' })
    const q = join(dir, 'g16.json')
    expect((await cli(['keygen', '--scheme', 'gumbel', '--param', 'nonces=16', '--out', q])).code).toBe(0)
    expect(parseKey(readFileSync(q, 'utf8')).spec).toMatchObject({ scheme: 'gumbel', nonces: 16 })
    expect('fingerprint' in parseKey(readFileSync(q, 'utf8')).spec).toBe(false)
  })

  it('keygen rejects unknown schemes and parameters with exit 2', async () => {
    expect((await cli(['keygen', '--scheme', 'foo', '--out', join(dir, 'x.json')])).err).toMatch(/--scheme must be one of/)
    const r = await cli(['keygen', '--scheme', 'kgw', '--param', 'gama=0.3', '--out', join(dir, 'y.json')])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/gama is not a parameter/)
  })

  it('detect: exit 0 and a verdict for watermarked text', async () => {
    const r = await cli(['detect', '--key', keyPath, join(dir, 'wm.txt')])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/watermark DETECTED/)
    expect(r.out).toMatch(/kgw gamma=0.25 delta=2 h=4 seeding=self/)
  })

  it('detect: exit 1 for human text', async () => {
    const r = await cli(['detect', '--key', keyPath, join(dir, 'human.txt')])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/no watermark detected/)
  })

  it('detect --json prints one object with the documented fields', async () => {
    const r = await cli(['detect', '--key', keyPath, '--json', '--alpha', '0.001', join(dir, 'wm.txt')])
    const o = JSON.parse(r.out)
    for (const f of ['keyId', 'scheme', 'tokens', 'scored', 'score', 'pValue', 'log10PValue', 'zScore', 'detected', 'alpha']) {
      expect(o, f).toHaveProperty(f)
    }
    expect(o.alpha).toBe(0.001)
    expect(o.detected).toBe(true)
    expect(o.scored).toBeLessThanOrEqual(o.tokens)
    expect(r.out.trim().split('\n')).toHaveLength(1)
  })

  it('detect: usage and input errors exit 2 with a message on stderr', async () => {
    const missing = await cli(['detect', '--key', join(dir, 'nope.json'), join(dir, 'wm.txt')])
    expect(missing.code).toBe(2)
    expect(missing.err).toMatch(/cannot read key file .*nope.json/)
    const badAlpha = await cli(['detect', '--key', keyPath, '--alpha', '2', join(dir, 'wm.txt')])
    expect(badAlpha.code).toBe(2)
    const noFile = await cli(['detect', '--key', keyPath, join(dir, 'absent.txt')])
    expect(noFile.code).toBe(2)
    expect(noFile.err).toMatch(/cannot read .*absent.txt/)
    const binary = join(dir, 'bin.dat')
    writeFileSync(binary, Uint8Array.from([0xff, 0xfe, 0x00, 0xc3, 0x28]))
    const bad = await cli(['detect', '--key', keyPath, binary])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/not valid UTF-8/)
    const tampered = join(dir, 'tampered.json')
    const o = JSON.parse(readFileSync(keyPath, 'utf8'))
    o.spec.delta = 9
    writeFileSync(tampered, JSON.stringify(o))
    const t = await cli(['detect', '--key', tampered, join(dir, 'wm.txt')])
    expect(t.code).toBe(2)
    expect(t.err).toMatch(/tampered.json: invalid key file: "keyId" does not match/)
    for (const r of [missing, badAlpha, noFile, bad, t]) {
      expect(r.out + r.err).not.toContain(secretB64)
      expect(r.out + r.err).not.toContain(secretB64.slice(0, 16))
    }
  })

  it('scan --decode-below: a level in (0, 1], and not with --full-votes', async () => {
    const corpus = join(dir, 'gate.jsonl')
    writeFileSync(corpus, `${JSON.stringify({ text: watermarked })}\n${JSON.stringify({ text: HUMAN })}\n`)
    for (const bad of ['0', '1.5', 'x']) {
      const r = await cli(['scan', '--key', keyPath, '--decode-below', bad, corpus])
      expect(r.code).toBe(2)
      expect(r.err).toMatch(/--decode-below.*must be a number in \(0, 1\]/)
    }
    const both = await cli(['scan', '--key', keyPath, '--decode-below', '0.1', '--full-votes', corpus])
    expect(both.code).toBe(2)
    expect(both.err).toMatch(/--decode-below is for quick votes; --full-votes decodes every document/)
    const ok = await cli(['scan', '--key', keyPath, '--decode-below', '1', '--json', corpus])
    expect(ok.code).toBe(0)
    expect(ok.out.trim().split('\n')).toHaveLength(3)
  })

  it('the real binary reads standard input and exits like grep', () => {
    const bin = ['--import', 'tsx', join(__dirname, '../packages/detector/src/cli/main.ts')]
    const yes = spawnSync(process.execPath, [...bin, 'detect', '--key', keyPath, '-'], { input: watermarked, encoding: 'utf8' })
    expect(yes.status).toBe(0)
    const no = spawnSync(process.execPath, [...bin, 'detect', '--key', keyPath], { input: HUMAN, encoding: 'utf8' })
    expect(no.status).toBe(1)
    const usage = spawnSync(process.execPath, [...bin, 'detect'], { encoding: 'utf8' })
    expect(usage.status).toBe(2)
    expect(usage.stderr).toMatch(/--key/)
    for (const r of [yes, no, usage]) expect(r.stdout + r.stderr).not.toContain(secretB64)
  })

  it('the real binary stops quietly with status 141 when its reader closes the pipe (scan --json | head)', async () => {
    // Enough records that the scan is still writing when the reader goes away.
    const corpus = join(dir, 'pipe.jsonl')
    writeFileSync(corpus, Array.from({ length: 3000 }, (_, i) => JSON.stringify({ text: `${HUMAN} ${i}` })).join('\n'))
    const bin = ['--import', 'tsx', join(__dirname, '../packages/detector/src/cli/main.ts')]
    const child = spawn(process.execPath, [...bin, 'scan', '--key', keyPath, '--json', '--workers', '1', corpus], { stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    // The reader takes the first record, then closes its end, as head does.
    child.stdout.once('data', () => child.stdout.destroy())
    const code = await new Promise<number | null>((r) => child.on('close', r))
    expect(code).toBe(141)
    expect(err).not.toMatch(/EPIPE|at .*\(|internal error/)
  })
})

