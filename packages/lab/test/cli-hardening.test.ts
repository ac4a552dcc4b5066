import { fileURLToPath } from 'node:url'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { describe, expect, it } from 'vitest'
import { run as tracemark } from '../../detector/src/cli/program.js'
import { run as lab } from '../src/cli/program.js'
import { checkAccounts } from '../src/serve/accounts.js'
import { evalOutDir } from '../src/eval/out-dir.js'
import { repoRoot } from '../src/model/default.js'

const dir = mkdtempSync(join(tmpdir(), 'tm-lab-cli-'))
const file = (name: string, text: string) => {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}
async function call(cli: typeof lab, args: string[]) {
  let out = ''
  let err = ''
  const code = await cli(args, { out: (s) => (out += s), err: (s) => (err += s) })
  return { code, out, err }
}

describe('API keys are never printed', () => {
  const apiKeys = ['sk-alice-0123456789', 'sk-bob-9876543210']

  it('lab serve refuses an inverted, non-JSON or non-object accounts map without showing any of it', async () => {
    const files = [
      file('inverted.json', JSON.stringify({ 1001: apiKeys[0], 1002: apiKeys[1] })),
      file('broken.json', `{"${apiKeys[0]}": 1001, "${apiKeys[1]}": }`),
      file('array.json', JSON.stringify(apiKeys)),
      file('negative.json', JSON.stringify({ [apiKeys[0]]: -1 })),
    ]
    const expected = [/inverted.json: entry 1: the account must be a non-negative integer/, /broken.json: not valid JSON/, /array.json: must be a JSON object/, /negative.json: entry 1/]
    for (const [i, f] of files.entries()) {
      const r = await call(lab, ['serve', '--no-watermark', '--accounts', f, '--port', '0'])
      expect(r.code, f).toBe(2)
      expect(r.err, f).toMatch(expected[i])
      for (const k of apiKeys) expect(r.out + r.err, f).not.toContain(k.slice(3, 12))
    }
  })

  it('the server itself names no API key for an account that does not fit the fingerprint', () => {
    expect(() => checkAccounts({ [apiKeys[0]]: 2 ** 40 }, 'accounts', 2 ** 32 - 1)).toThrow('accounts: entry 1: account 1099511627776 does not fit the fingerprint payload (at most 4294967295)')
    expect(() => checkAccounts({ 7: apiKeys[0] }, 'accounts')).toThrow(/^accounts: entry 1: the account must be a non-negative integer \(values not shown/)
  })

  it('tracemark --accounts with the serve accounts file names the line, not its content', async () => {
    const accounts = file('accounts.json', `{\n  "${apiKeys[0]}": 1001,\n  "${apiKeys[1]}": 1002\n}\n`)
    const text = file('text.txt', 'a short text\n')
    const key = join(dir, 'key.json')
    expect((await call(tracemark, ['keygen', '--fingerprint-bits', '32', '--out', key])).code).toBe(0)
    for (const command of ['detect', 'attribute']) {
      const r = await call(tracemark, [command, '--key', key, '--accounts', accounts, text])
      expect(r.code).toBe(2)
      expect(r.err).toBe(`tracemark: ${accounts}:1: not an account number (this looks like JSON, e.g. an API-key map; a registry has one account number per line)\n`)
    }
  })
})

describe('lab numeric options', () => {
  it('rejects NaN, 0, negatives and absurd values with exit 2, naming the option', async () => {
    const prompts = file('prompts.txt', 'Hello\n')
    const cases: Array<[string[], string, string[]]> = [
      [['distill', '--endpoint', 'http://127.0.0.1:9', '--prompts', prompts, '--out', dir], '--budget', ['nan', '0', '-1', '1e9']],
      [['distill', '--endpoint', 'http://127.0.0.1:9', '--prompts', prompts, '--out', dir], '--concurrency', ['0', '-2', '1e9', 'x']],
      [['distill', '--endpoint', 'http://127.0.0.1:9', '--prompts', prompts, '--out', dir], '--max-tokens', ['0', '1e9', '2.5']],
      [['distill', '--endpoint', 'http://127.0.0.1:9', '--prompts', prompts, '--out', dir], '--order', ['0', '100']],
      [['distill', '--endpoint', 'http://127.0.0.1:9', '--prompts', prompts, '--out', dir], '--fraction', ['nan', '-0.1', '2']],
      [['distill', '--endpoint', 'http://127.0.0.1:9', '--prompts', prompts, '--out', dir], '--timeout', ['0', 'nan', '1e9']],
      [['generate', '--no-watermark', '--prompt', 'x'], '--max-tokens', ['0', '1e9', 'nan']],
      [['serve', '--no-watermark', '--accounts', 'none.json'], '--port', ['-1', '70000', 'nan']],
      [['eval', '--quick'], '--seed', ['-1', '1e12', 'nan']],
    ]
    for (const [args, option, values] of cases) {
      for (const v of values) {
        const r = await call(lab, [...args, option, v])
        expect(r.code, `${args[0]} ${option} ${v}`).toBe(2)
        expect(r.err, `${args[0]} ${option} ${v}`).toContain(`option '${option} <`)
      }
    }
  })

  it('SIGINT stops lab distill: no student saved, exit 130', async () => {
    let seen!: () => void
    const firstRequest = new Promise<void>((resolve) => (seen = resolve))
    const server = http.createServer((req, res) => {
      req.resume()
      seen()
      setTimeout(() => res.destroy(), 20_000).unref() // never answers in time; bounded
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const out = join(dir, 'student')
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)), 'distill', '--endpoint', `http://127.0.0.1:${(server.address() as AddressInfo).port}`, '--prompts', file('p.txt', 'Hello\n'), '--out', out],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    try {
      await firstRequest
      child.kill('SIGINT')
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
      expect(code).toBe(130)
      expect(err).toBe('tracemark-lab: distill stopped by SIGINT; no student saved\n')
      expect(existsSync(out)).toBe(false)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})

describe('evaluations write to --out, never docs/ by default', () => {
  it('defaults to a scratch folder under .cache/eval for every evaluation, full and quick', () => {
    const root = repoRoot()
    const seen = new Set<string>()
    for (const kind of ['eval', 'fingerprint', 'radioactivity'] as const) {
      for (const quick of [false, true]) {
        const d = evalOutDir(kind, quick)
        expect(relative(root, d).split(sep).slice(0, 3)).toEqual(['.cache', 'eval', kind])
        seen.add(d)
      }
      // The published tables are written only when asked for.
      expect(evalOutDir(kind, false, 'docs/radioactivity')).toBe(join(process.cwd(), 'docs', 'radioactivity'))
    }
    expect(seen.size).toBe(6) // quick never overwrites full
  })
})
