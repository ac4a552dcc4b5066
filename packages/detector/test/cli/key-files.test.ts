import { fileURLToPath } from 'node:url'
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generateKey, parseKey, serializeKey } from '@tracemark/watermark'
import { KEY_FILE_MAX_BYTES, readKeyFile } from '../../src/cli/keyfile.js'
import { run } from '../../src/cli/program.js'

const dir = mkdtempSync(join(tmpdir(), 'tm-keyfiles-'))

async function cli(args: string[]) {
  let out = ''
  let err = ''
  const code = await run(args, { out: (s) => (out += s), err: (s) => (err += s) })
  return { code, out, err }
}

const mode = (p: string) => statSync(p).mode & 0o777

describe('keygen writes the secret atomically, 0600, never through a link', () => {
  it('--force over an existing 0644 file leaves a 0600 file with the new key', async () => {
    const p = join(dir, 'loose.json')
    writeFileSync(p, 'old contents\n', { mode: 0o644 })
    chmodSync(p, 0o644) // whatever the umask
    const r = await cli(['keygen', '--out', p, '--force'])
    expect(r.code).toBe(0)
    expect(mode(p)).toBe(0o600)
    expect(parseKey(readFileSync(p, 'utf8')).keyId).toBe(r.out.trim())
    // No temporary file is left behind.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('--force over a symlink replaces the link and leaves its target untouched', async () => {
    const target = join(dir, 'target.txt')
    writeFileSync(target, 'not yours\n', { mode: 0o644 })
    const link = join(dir, 'link.json')
    symlinkSync(target, link)
    const r = await cli(['keygen', '--out', link, '--force'])
    expect(r.code).toBe(0)
    expect(readFileSync(target, 'utf8')).toBe('not yours\n')
    expect(lstatSync(link).isSymbolicLink()).toBe(false)
    expect(mode(link)).toBe(0o600)
    expect(parseKey(readFileSync(link, 'utf8')).keyId).toBe(r.out.trim())
  })

  it('without --force refuses any existing entry, a dangling symlink included, and creates nothing', async () => {
    const dangling = join(dir, 'dangling.json')
    const nowhere = join(dir, 'nowhere.json')
    symlinkSync(nowhere, dangling)
    const r = await cli(['keygen', '--out', dangling])
    expect(r.code).toBe(2)
    expect(r.err).toContain(`${dangling} exists; pass --force`)
    expect(existsSync(nowhere)).toBe(false)
    expect(readlinkSync(dangling)).toBe(nowhere)
  })

  it('warns when the key lands in a git work tree that does not ignore it, not when it is ignored', async () => {
    const repo = join(dir, 'repo')
    mkdirSync(repo)
    execFileSync('git', ['init', '-q', repo])
    writeFileSync(join(repo, '.gitignore'), 'key.json\n')
    const exposed = await cli(['keygen', '--out', join(repo, 'mine.json')])
    expect(exposed.code).toBe(0)
    expect(exposed.err).toMatch(/warning: .*mine\.json is inside the git work tree .* not ignored/)
    const ignored = await cli(['keygen', '--out', join(repo, 'key.json')])
    expect(ignored.code).toBe(0)
    expect(ignored.err).not.toMatch(/warning/)
    const outside = await cli(['keygen', '--out', join(dir, 'outside.json')])
    expect(outside.err).toBe('')
  })

  it('the repository ignores the key-file names the README uses', () => {
    const root = fileURLToPath(new URL('../../../../', import.meta.url))
    for (const name of ['key.json', 'fp.json', 'accounts.json', 'prod.key.json']) {
      const r = execFileSync('git', ['check-ignore', '--no-index', name], { cwd: root, encoding: 'utf8' })
      expect(r.trim()).toBe(name)
    }
  })
})

describe('key files when read', () => {
  const secret = Uint8Array.from({ length: 32 }, (_, i) => (i * 53 + 7) & 255)
  const key = generateKey({ scheme: 'kgw' }, { secret })
  const good = join(dir, 'good.json')
  writeFileSync(good, serializeKey(key), { mode: 0o600 })
  chmodSync(good, 0o600)

  it('reads a 0600 key file silently', () => {
    const warnings: string[] = []
    expect(readKeyFile(good, { warn: (m) => warnings.push(m) }).keyId).toBe(key.keyId)
    expect(warnings).toEqual([])
  })

  it('caps the size: /dev/zero and an oversized file are refused, not read into memory', () => {
    expect(() => readKeyFile('/dev/zero')).toThrow(`/dev/zero: larger than ${KEY_FILE_MAX_BYTES / 1024} KiB, not a key file`)
    const big = join(dir, 'big.json')
    writeFileSync(big, ' '.repeat(KEY_FILE_MAX_BYTES + 1))
    expect(() => readKeyFile(big)).toThrow(/larger than 64 KiB/)
    expect(() => readKeyFile(dir)).toThrow(`cannot read key file ${dir}: EISDIR`)
  })

  it('warns on group/other-accessible key files and on symlinks, and still reads them', async () => {
    const loose = join(dir, 'loose-read.json')
    writeFileSync(loose, serializeKey(key))
    chmodSync(loose, 0o644)
    const warnings: string[] = []
    readKeyFile(loose, { warn: (m) => warnings.push(m) })
    expect(warnings).toEqual([`key file ${loose} is accessible to group/others (mode 0644): chmod 600 ${loose}`])
    const link = join(dir, 'via-link.json')
    symlinkSync(good, link)
    warnings.length = 0
    expect(readKeyFile(link, { warn: (m) => warnings.push(m) }).keyId).toBe(key.keyId)
    expect(warnings).toEqual([`key file ${link} is a symlink: check that it points where you expect`])
    // The CLI shows the warning and goes on.
    writeFileSync(join(dir, 'text.txt'), 'some text to test\n')
    const r = await cli(['detect', '--key', loose, join(dir, 'text.txt')])
    expect(r.code).toBe(1)
    expect(r.err).toContain('tracemark: warning: key file')
  })

  it('never echoes a value from a tampered key file, naming the field instead', async () => {
    const b64 = Buffer.from(secret).toString('base64')
    const base = JSON.parse(serializeKey(key))
    const tamperings: Array<[string, (f: Record<string, any>) => void, RegExp]> = [
      ['seeding', (f) => (f.spec.seeding = b64), /"spec.seeding" must be "left" or "self"/],
      ['gamma', (f) => (f.spec.gamma = b64), /"spec.gamma" must be a number/],
      ['scheme', (f) => (f.spec.scheme = b64), /"spec.scheme" must be one of/],
      ['field name', (f) => (f.spec[b64] = 1), /"spec" has a field that is not a parameter of scheme kgw/],
      ['fingerprint field name', (f) => (f.spec.fingerprint = { [b64]: 1 }), /"spec" has a field that is not a fingerprint parameter/],
      ['fingerprint.bits', (f) => (f.spec.fingerprint = { bits: b64 }), /"spec.fingerprint.bits" must be a number/],
      ['fingerprint.embedding', (f) => (f.spec.fingerprint = { embedding: b64 }), /"spec.fingerprint.embedding" must be "race" or "bias"/],
      [
        'fingerprint.draw',
        (f) => (f.spec = { scheme: 'gumbel', h: 4, tokenizer: f.spec.tokenizer, vocabSize: f.spec.vocabSize, fingerprint: { embedding: 'race', draw: b64 } }),
        /"spec.fingerprint.draw" must be "ordered" or "independent"/,
      ],
      ['format', (f) => (f.format = b64), /"format" must be "tracemark-key"/],
      ['not JSON', (f) => (f.broken = true), /not JSON/],
    ]
    for (const [what, tamper, expected] of tamperings) {
      const f = structuredClone(base)
      tamper(f)
      const p = join(dir, `tampered-${what.replace(/\W/g, '-')}.json`)
      // The spec is checked before the keyId, so each file fails on the field it breaks.
      let text = JSON.stringify(f)
      if (what === 'not JSON') text = `${b64} ${text}`
      writeFileSync(p, text, { mode: 0o600 })
      const r = await cli(['detect', '--key', p, good])
      expect(r.code, what).toBe(2)
      expect(r.err, what).toMatch(expected)
      expect(r.err, what).not.toContain(b64)
      expect(r.err, what).not.toContain(b64.slice(0, 12))
    }
  })
})
