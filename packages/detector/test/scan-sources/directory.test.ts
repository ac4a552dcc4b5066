import { execFileSync } from 'node:child_process'
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { detectFormat } from '../../src/scan/sources/index.js'
import { walkDirectory } from '../../src/scan/sources/walk.js'
import { bytes, collect, gz, jsonl, tempDir } from './helpers.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  tmp = await tempDir()
})
afterAll(() => tmp.cleanup())

describe('text files', () => {
  it('reads a whole file as one document and reports empty, binary, invalid UTF-8 and oversized files', async () => {
    const files = {
      ok: tmp.path('ok.txt'),
      crlf: tmp.path('crlf.md'),
      empty: tmp.path('empty.txt'),
      blank: tmp.path('blank.txt'),
      nul: tmp.path('image.png'),
      latin1: tmp.path('latin1.txt'),
      big: tmp.path('big.txt'),
    }
    await writeFile(files.ok, 'Hello, world.\nSecond line.')
    await writeFile(files.crlf, '# Title\r\n\r\nBody.\r\n')
    await writeFile(files.empty, '')
    await writeFile(files.blank, ' \n\t\n')
    await writeFile(files.nul, bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]))
    await writeFile(files.latin1, bytes('caf', [0xe9], ' cr', [0xe8], 'me'))
    await writeFile(files.big, 'x'.repeat(2000))
    expect(await collect(Object.values(files), { maxDocumentBytes: 1000 })).toEqual([
      { file: files.ok, text: 'Hello, world.\nSecond line.' },
      { file: files.crlf, text: '# Title\r\n\r\nBody.\r\n' },
      { file: files.empty, error: 'empty document' },
      { file: files.blank, error: 'empty document' },
      { file: files.nul, error: 'binary file' },
      { file: files.latin1, error: 'binary file' },
      { file: files.big, error: 'file of 2000 bytes exceeds the limit of 1000' },
    ])
  })

  it('detects format and compression from the extension', () => {
    expect(detectFormat('a/b.JSONL')).toEqual({ format: 'jsonl', compression: undefined })
    expect(detectFormat('a.jsonl.zst')).toEqual({ format: 'jsonl', compression: 'zstd' })
    expect(detectFormat('a.ndjson.gz')).toEqual({ format: 'jsonl', compression: 'gzip' })
    expect(detectFormat('a.json')).toEqual({ format: 'jsonl', compression: undefined })
    expect(detectFormat('a.parquet')).toEqual({ format: 'parquet', compression: undefined })
    expect(detectFormat('notes.gz')).toEqual({ format: 'text', compression: 'gzip' })
    expect(detectFormat('README')).toEqual({ format: 'text', compression: undefined })
  })
})

describe('directories', () => {
  it('reads recursively in path order, mixed formats, skipping hidden entries and reporting bad files', async () => {
    const root = tmp.path('corpus')
    const p = (...parts: string[]) => tmp.path('corpus', ...parts)
    await mkdir(p('b', 'deep'), { recursive: true })
    await mkdir(p('.git'), { recursive: true })
    await writeFile(p('a.txt'), 'alpha text')
    await writeFile(p('b', 'deep', 'z.jsonl.gz'), gz(jsonl(['deep one', 'deep two'])))
    await writeFile(p('b', 'm.parquet'), new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'text', data: ['row zero'], type: 'STRING' }] })))
    await writeFile(p('b', 'blob.bin'), bytes([1, 2, 0, 3, 0xff]))
    await writeFile(p('c.jsonl'), jsonl(['c one']))
    await writeFile(p('.hidden.jsonl'), jsonl(['never read']))
    await writeFile(p('.git', 'HEAD'), 'ref: refs/heads/main')
    await symlink(root, p('b', 'loop')) // a link back up must not loop forever

    const missing = tmp.path('missing-dir')
    const single = tmp.path('single.txt')
    await writeFile(single, 'single file')
    // Inputs keep their order; only a directory's own files are sorted.
    expect(await collect([single, root, missing])).toEqual([
      { file: single, text: 'single file' },
      { file: p('a.txt'), text: 'alpha text' },
      { file: p('b', 'blob.bin'), error: 'binary file' },
      { file: p('b', 'deep', 'z.jsonl.gz'), line: 1, text: 'deep one' },
      { file: p('b', 'deep', 'z.jsonl.gz'), line: 2, text: 'deep two' },
      { file: p('b', 'm.parquet'), row: 0, text: 'row zero' },
      { file: p('c.jsonl'), line: 1, text: 'c one' },
      { file: missing, error: 'cannot read: ENOENT' },
    ])
  })

  it('walks in the order of a sort of all the paths, listing each directory only when it gets there', async () => {
    // Names around the separator: '-', '.', ' ' and '!' sort below '/', '~' and 'é'
    // above it, so a directory 'a' must come after a file 'a-b' and before 'a~'.
    const names = ['a', 'a-b', 'a.txt', 'a b', 'a!', 'a~', 'é', 'Z', 'a0', 'b']
    let seed = 3
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n)
    const root = tmp.path('walk')
    const make = async (dir: string, depth: number) => {
      await mkdir(dir, { recursive: true })
      for (const n of names) {
        const r = rnd(6)
        if (r <= 1 && depth < 3) await make(join(dir, n), depth + 1)
        else if (r <= 3) await writeFile(join(dir, n), n)
        else if (r === 4) await symlink(join(dir, 'nowhere'), join(dir, n)) // dangling: an error entry
      }
    }
    await make(root, 0)
    // The reference: every path collected, then one sort of them all.
    const all: string[] = []
    const gather = async (dir: string) => {
      for (const d of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, d.name)
        if (d.isDirectory()) await gather(path)
        else all.push(path)
      }
    }
    await gather(root)
    all.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const walked: string[] = []
    for await (const e of walkDirectory(root)) walked.push(e.file)
    // The fixed seed makes a tree of a few hundred paths; enough of every kind to mix.
    expect(all.length).toBeGreaterThan(100)
    expect(walked).toEqual(all)

    // Lazy: a file added under a directory the walk has not reached yet is read.
    const lazy = tmp.path('lazy')
    await mkdir(join(lazy, 'a'), { recursive: true })
    await mkdir(join(lazy, 'z'), { recursive: true })
    await writeFile(join(lazy, 'a', '1.txt'), 'one')
    const walk = walkDirectory(lazy)
    expect((await walk.next()).value).toEqual({ file: join(lazy, 'a', '1.txt') })
    await writeFile(join(lazy, 'z', '2.txt'), 'two')
    expect((await walk.next()).value).toEqual({ file: join(lazy, 'z', '2.txt') })
    expect((await walk.next()).done).toBe(true)
  })

  it('reads a linked directory inside the tree under its own path, and one outside it once', async () => {
    const root = tmp.path('links')
    const outside = tmp.path('outside')
    await mkdir(join(root, 'a'), { recursive: true })
    await mkdir(join(root, '.hidden'), { recursive: true })
    await mkdir(outside, { recursive: true })
    await writeFile(join(root, 'a', 'x.txt'), 'x')
    await writeFile(join(root, '.hidden', 'h.txt'), 'h')
    await writeFile(join(outside, 'o.txt'), 'o')
    // 'a-link' sorts before 'a/': a walk following it would read a's file under the link.
    await symlink(join(root, 'a'), join(root, 'a-link'))
    // A hidden directory is not walked, so a link is the only way to it.
    await symlink(join(root, '.hidden'), join(root, 'shown'))
    // Two links to one directory outside the tree: read once, under the first.
    await symlink(outside, join(root, 'o1'))
    await symlink(outside, join(root, 'o2'))
    const walked: string[] = []
    for await (const e of walkDirectory(root)) walked.push(e.file)
    expect(walked).toEqual([join(root, 'a', 'x.txt'), join(root, 'o1', 'o.txt'), join(root, 'shown', 'h.txt')])
  })

  it('applies an explicit format to every file of a directory', async () => {
    const root = tmp.path('forced')
    await mkdir(root)
    await writeFile(tmp.path('forced', 'x.log'), jsonl(['from a .log file']))
    expect(await collect([root], { format: 'jsonl' })).toEqual([{ file: tmp.path('forced', 'x.log'), line: 1, text: 'from a .log file' }])
  })
})

describe('standard input', () => {
  const child = fileURLToPath(new URL('./stdin-child.ts', import.meta.url))
  const tsx = fileURLToPath(new URL('../../../../node_modules/.bin/tsx', import.meta.url))
  const run = (input: string, format = '') =>
    execFileSync(tsx, [child, format], { input, encoding: 'utf8', timeout: 60_000 })
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))

  it('reads `-` as JSONL by default, or as the format given', () => {
    expect(run(`${jsonl(['one'])}\nnot json\n${jsonl(['two'])}`)).toEqual([
      { file: '-', line: 1, text: 'one' },
      { file: '-', line: 3, error: expect.stringMatching(/^invalid JSON: /) },
      { file: '-', line: 4, text: 'two' },
    ])
    expect(run('plain words', 'text')).toEqual([{ file: '-', text: 'plain words' }])
    expect(run('', 'parquet')).toEqual([{ file: '-', error: 'Parquet cannot be read from standard input' }])
  })
})
