import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadCorpus } from '../src/corpus/corpus.js'
import { trainModel } from '../src/model/ngram.js'
import { saveModel } from '../src/model/io.js'

// The README starts servers with `node --import tsx packages/lab/src/cli/main.ts serve … &`
// and stops them with `kill $!`: that PID must be the server itself, and SIGTERM/SIGINT
// must stop it (through `pnpm lab serve &`, $! is pnpm, which does not pass signals on).
const root = resolve(__dirname, '../../..')
const dir = mkdtempSync(join(tmpdir(), 'tracemark-serve-signals-'))

describe('lab serve started as the README says', () => {
  const modelDir = join(dir, 'model')
  saveModel(trainModel(loadCorpus().slice(0, 20).map((d) => d.text), { order: 2 }), modelDir)
  writeFileSync(join(dir, 'accounts.json'), '{"sk-test": 1}')

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops on ${signal} to its PID`, async () => {
      const p = spawn(process.execPath, ['--import', 'tsx', 'packages/lab/src/cli/main.ts', 'serve', '--model', modelDir, '--no-watermark', '--accounts', join(dir, 'accounts.json'), '--port', '0'], { cwd: root })
      let err = ''
      const exited = new Promise<number | null>((done) => p.on('exit', (code) => done(code)))
      await new Promise<void>((ready, fail) => {
        p.stderr.on('data', (d) => {
          err += d
          if (/serving .*\bon http:\/\/127\.0\.0\.1:\d+/.test(err)) ready()
        })
        p.on('exit', () => fail(new Error(`server exited before serving: ${err}`)))
      })
      const url = /serving .*\bon (http:\S+)/.exec(err)![1]
      expect((await fetch(`${url}/v1/models`)).status).toBe(200)
      p.kill(signal)
      expect(await exited).toBe(0) // closed cleanly, not killed by the signal
      await expect(fetch(`${url}/v1/models`)).rejects.toThrow()
    })
  }
})
