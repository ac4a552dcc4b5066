import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { parquetWriteBuffer } from 'hyparquet-writer'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { corpusInputs } from '../../src/evidence/make.js'
import { sha256File } from '../../src/evidence/hash.js'
import { planBlocks } from '../../src/scan/plan.js'
import { inputFingerprint, runScan, type ScanOptions } from '../../src/scan/run.js'
import { run } from '../../src/cli/program.js'
import { sourceSettings } from '../../src/scan/sources/index.js'
import { readPiece } from '../../src/scan/sources/piece.js'
import type { SourceRecord } from '../../src/scan/types.js'
import { markedCorpus } from '../helpers/marked-corpus.js'
import { startS3, type TestS3 } from '../helpers/s3-server.js'
import { collect, jsonl, mixedCorpusFiles, tempDir } from './helpers.js'

// The same files on disk and in a local S3 server: every reader must give the
// same records from both, with the object's URL where the file's path was.
const MAX = 4096
let tmp: Awaited<ReturnType<typeof tempDir>>
let s3: TestS3
let local: string
let remote: string
let marked: ReturnType<typeof markedCorpus>

beforeAll(async () => {
  tmp = await tempDir()
  s3 = await startS3()
  local = tmp.path('corpus')
  remote = `${s3.root}corpus`
  await mkdir(local)
  for (const [name, data] of Object.entries(mixedCorpusFiles(MAX))) {
    await writeFile(`${local}/${name}`, data)
    await s3.put(`corpus/${name}`, data)
  }
  // Hidden entries and folder markers are not documents, as in a directory.
  await s3.put('corpus/.hidden.jsonl', '{"text": "hidden"}\n')
  await s3.put('corpus/.git/config', 'x')
  await s3.put('corpus/empty-folder/', '')
  // A key that is a prefix of another must not list it ("corpus" vs "corpus2/").
  await s3.put('corpus2/other.txt', 'not under corpus/')
  marked = markedCorpus()
  await writeFile(tmp.path('marked.jsonl'), `${marked.lines.join('\n')}\n`)
  await s3.put('marked/marked.jsonl', `${marked.lines.join('\n')}\n`)
}, 60_000)
afterAll(async () => {
  await s3?.stop()
  await tmp?.cleanup()
})

const asRemote = (records: SourceRecord[]) => records.map((r) => ({ ...r, file: r.file.replace(local, remote) }))

async function planned(inputs: string[], blockSize: number): Promise<SourceRecord[]> {
  const s = sourceSettings({ maxDocumentBytes: MAX })
  const out: SourceRecord[] = []
  for await (const b of planBlocks(inputs, { maxDocumentBytes: MAX }, blockSize)) for (const p of b.pieces) for await (const r of readPiece(p, s)) out.push(r)
  return out
}

describe('s3:// inputs (a local S3-compatible server)', () => {
  it('reads a prefix like a directory: same records as the files on disk, hidden entries and folder markers left out', async () => {
    const fromDisk = await collect([local], { maxDocumentBytes: MAX })
    const fromStore = await collect([remote], { maxDocumentBytes: MAX })
    expect(fromStore).toEqual(asRemote(fromDisk))
    // With and without the trailing slash, and one object by its key.
    expect(await collect([`${remote}/`], { maxDocumentBytes: MAX })).toEqual(fromStore)
    expect(await collect([`${remote}/a.jsonl`], { maxDocumentBytes: MAX })).toEqual(fromStore.filter((r) => r.file.endsWith('/a.jsonl')))
  })

  it('plans byte ranges and row groups of objects, which read back the sequential records for any block size', async () => {
    const all = await collect([remote], { maxDocumentBytes: MAX })
    for (const size of [1, 3, 7, 1000]) expect(await planned([remote], size)).toEqual(all)
    // References, not text: only the gzip object's lines and the compressed Parquet's error travel inline.
    const pieces = []
    for await (const b of planBlocks([remote], { maxDocumentBytes: MAX }, 16)) pieces.push(...b.pieces)
    expect(pieces.filter((p) => p.kind === 'lines' || p.kind === 'rows').every((p) => 'file' in p && p.file.startsWith('s3://'))).toBe(true)
    const inline = pieces.flatMap((p) => (p.kind === 'records' ? p.records.map((r) => r.file.split('/').pop()) : []))
    expect([...new Set(inline)].sort()).toEqual(['c.jsonl.gz', 'f.parquet.gz'])
  })

  it('turns a missing bucket, key or prefix into one error record naming the URL, and goes on', async () => {
    const records = await collect(['s3://no-such-bucket/x.jsonl', `${s3.root}absent`, `${s3.root}corpus/b.txt`, 's3:///key'])
    expect(records).toEqual([
      { file: 's3://no-such-bucket/x.jsonl', error: expect.stringMatching(/^cannot read: NoSuchBucket \(HTTP 404\)$/) },
      { file: `${s3.root}absent`, error: 'cannot read: no such object or prefix' },
      { file: `${s3.root}corpus/b.txt`, text: 'a whole text file is one document' },
      { file: 's3:///key', error: expect.stringContaining('no bucket') },
    ])
  })

  it('scans objects with worker threads: the same document records as the local file', async () => {
    const options = (inputs: string[]): ScanOptions => ({ inputs, keyTexts: marked.keyTexts, workers: 2, blockSize: 4, fdr: 0.05 })
    const run = async (inputs: string[]) => {
      const lines: string[] = []
      const summary = await runScan(options(inputs), { record: (l) => lines.push(l), warn: () => {} })
      // The wall-clock time is the one field that may differ.
      return { lines: lines.map((l) => l.replace(/"seconds":[0-9.e+-]+/, '"seconds":0')), summary }
    }
    const disk = await run([tmp.path('marked.jsonl')])
    const store = await run([`${s3.root}marked/`])
    expect(store.lines).toEqual(disk.lines.map((l) => l.replaceAll(tmp.path('marked.jsonl'), `${s3.root}marked/marked.jsonl`)))
    expect(store.summary.flagged).toBeGreaterThan(0)
    expect(store.lines.filter((l) => l.includes('"type":"document"')).length).toBeGreaterThan(20)
  })

  it('gives a resume fingerprint that changes when an object changes, and evidence hashes of the objects', async () => {
    const before = await inputFingerprint({ inputs: [remote] })
    expect(await inputFingerprint({ inputs: [remote] })).toBe(before)
    await s3.put('corpus/b.txt', 'a whole text file is one document, edited')
    expect(await inputFingerprint({ inputs: [remote] })).not.toBe(before)
    await s3.put('corpus/b.txt', 'a whole text file is one document')

    const inputs = await corpusInputs([`${remote}/`])
    expect(inputs.map((i) => i.file)).toEqual(Object.keys(mixedCorpusFiles(MAX)).map((n) => `${remote}/${n}`))
    // The hash of the object is the file's, and verify's re-read of the URL finds it again.
    for (const i of inputs) {
      expect(i.sha256).toBe((await sha256File(i.file.replace(remote, local))).sha256)
      expect(await sha256File(i.file)).toEqual({ sha256: i.sha256, bytes: i.bytes })
    }
    await expect(corpusInputs(['s3://no-such-bucket/'])).rejects.toThrow(/--evidence: s3:\/\/no-such-bucket\/: cannot read: NoSuchBucket/)
  })

  it('lists each input once per CLI scan: progress total, resume, common tuples, plan and evidence share the listing', async () => {
    await writeFile(tmp.path('key.json'), marked.keyTexts[0], { mode: 0o600 })
    const lists = () => s3.requests.filter((r) => r.startsWith('GET /corpus-bucket/?') && r.includes('list-type=2') && r.includes('prefix=corpus%2F')).length
    const before = lists()
    let err = ''
    const code = await run(
      ['scan', `${remote}/`, '--key', tmp.path('key.json'), '--json', '--resume', tmp.path('list-once.state'), '--evidence', tmp.path('list-once.bundle'), '--common-tuples', '0.5'],
      { out: () => {}, err: (x) => (err += x) },
    )
    // The corpus holds bad lines on purpose (reported), nothing marked under this key (exit 1); every object is read.
    expect(err).not.toMatch(/cannot read/)
    expect(code).toBe(1)
    expect(existsSync(tmp.path('list-once.bundle/evidence.json'))).toBe(true)
    // Before: one listing each for evidence, the progress total, the resume fingerprint, the
    // common-tuple sample and the plan (five).
    expect(lists() - before).toBe(1)
  })

  it('reads a listed Parquet object without asking its size, and its footer once, not once per block', async () => {
    // 6 row groups of 8 rows, blocks of 4 rows: 12 blocks. Each block asked the store
    // for the object's size (HEAD) and read the footer again before reading its pages.
    const texts = Array.from({ length: 48 }, (_, i) => `document ${i} `.repeat(20))
    const bytes = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'text', data: texts, type: 'STRING' }], rowGroupSize: 8 }))
    await writeFile(tmp.path('groups.parquet'), bytes)
    await s3.put('pq/groups.parquet', bytes)
    const object = (r: string) => r.includes('/corpus-bucket/pq/groups.parquet')
    const before = s3.requests.filter(object).length
    const got = await planned([`${s3.root}pq/`], 4)
    expect(got).toEqual((await planned([tmp.path('groups.parquet')], 4)).map((r) => ({ ...r, file: `${s3.root}pq/groups.parquet` })))
    expect(got).toHaveLength(48)
    const asked = s3.requests.filter(object).slice(before)
    expect(asked.filter((r) => r.startsWith('HEAD '))).toEqual([])
    // One footer read, then each block's pages (with their offset index): at most 2 per block.
    expect(asked.length).toBeLessThanOrEqual(1 + 2 * 12)
  })

  it('refuses what a lying store sends: a range ignored, bytes missing or extra', async () => {
    // A fake endpoint: HEAD answers honestly; GET ignores the Range header for one object
    // (200, whole object), and sends a correct Content-Range with a truncated body for the other.
    const body = `${jsonl(['first', 'second', 'third'])}`
    const server = createServer((req, res) => {
      res.setHeader('ETag', '"e"')
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'Content-Length': body.length })
        return res.end()
      }
      const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '')
      if (req.url?.startsWith('/lying/ignores.jsonl') || !m) {
        res.writeHead(200, { 'Content-Length': body.length })
        return res.end(body)
      }
      res.writeHead(206, { 'Content-Range': `bytes ${m[1]}-${m[2]}/${body.length}`, 'Content-Length': 3 })
      res.end(body.slice(Number(m[1]), Number(m[1]) + 3))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const honest = process.env.AWS_ENDPOINT_URL_S3
    process.env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const s = sourceSettings({})
      const second = body.indexOf('{', 1)
      const read = async (file: string) => {
        const out: SourceRecord[] = []
        for await (const r of readPiece({ kind: 'lines', file, start: second, end: body.length, firstLine: 2 }, s)) out.push(r)
        return out
      }
      expect(await read('s3://lying/ignores.jsonl')).toEqual([{ file: 's3://lying/ignores.jsonl', line: 2, error: `cannot read: asked for bytes from ${second}, the store sent no range` }])
      // Three bytes of a 2-line range: the reader reports the read failure, not a short document.
      expect(await read('s3://lying/truncates.jsonl')).toEqual([{ file: 's3://lying/truncates.jsonl', line: 2, error: expect.stringMatching(/^cannot read: the object ended \d+ bytes before byte \d+/) }])
    } finally {
      process.env.AWS_ENDPOINT_URL_S3 = honest
      server.close()
    }
  })

  it('gives up on a store that stalls mid-body (an idle timeout, not a hung scan)', async () => {
    // HEAD answers; a GET sends its headers and 3 bytes, then nothing, forever.
    const server = createServer((req, res) => {
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'Content-Length': 100, ETag: '"e"' })
        return res.end()
      }
      res.writeHead(206, { 'Content-Range': 'bytes 10-99/100', 'Content-Length': 90, ETag: '"e"' })
      res.write('{"t')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const saved = { endpoint: process.env.AWS_ENDPOINT_URL_S3, idle: process.env.TRACEMARK_S3_IDLE_TIMEOUT_MS }
    process.env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    process.env.TRACEMARK_S3_IDLE_TIMEOUT_MS = '500'
    try {
      const out: SourceRecord[] = []
      for await (const r of readPiece({ kind: 'lines', file: 's3://stalling/x.jsonl', start: 10, end: 100, firstLine: 2 }, sourceSettings({}))) out.push(r)
      expect(out).toEqual([{ file: 's3://stalling/x.jsonl', line: 2, error: expect.stringMatching(/^cannot read: .*timed out/) }])
    } finally {
      process.env.AWS_ENDPOINT_URL_S3 = saved.endpoint
      if (saved.idle === undefined) delete process.env.TRACEMARK_S3_IDLE_TIMEOUT_MS
      else process.env.TRACEMARK_S3_IDLE_TIMEOUT_MS = saved.idle
      server.closeAllConnections()
      server.close()
    }
  }, 60_000)
})

