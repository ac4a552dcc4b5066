import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runScan, type ScanOptions } from '../../src/scan/run.js'
import { markedCorpus } from '../helpers/marked-corpus.js'
import { startS3, type TestS3 } from '../helpers/s3-server.js'

// Needs a real Redis (Debian `redis-server`) and the `ioredis` client that BullMQ drives.
const REDIS_SERVER = '/usr/bin/redis-server'
const hasIoredis = await import('ioredis').then(
  () => true,
  () => false,
)
const skip = !existsSync(REDIS_SERVER) || !hasIoredis
const why = !existsSync(REDIS_SERVER) ? 'redis-server is not installed (apt-get install redis-server)' : 'the ioredis package is not installed'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

function collect() {
  const records: string[] = []
  const warnings: string[] = []
  return { records, warnings, io: { record: (l: string) => records.push(l), warn: (m: string) => warnings.push(m) } }
}

const withoutSeconds = (line: string) => {
  const { seconds: _s, ...rest } = JSON.parse(line) as Record<string, unknown>
  return rest
}

describe.skipIf(skip)(`distributed scan (${skip ? `skipped: ${why}` : 'BullMQ on a local redis-server'})`, () => {
  let dir: string
  let redis: ChildProcess | undefined
  let url: string
  const stop = new AbortController()
  let workers: Promise<void>[] = []
  let keyTexts: string[]
  let corpus: string
  let empty: string
  let s3: TestS3

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tm-dist-'))
    const port = await freePort()
    url = `redis://127.0.0.1:${port}`
    redis = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
    const { Redis } = await import('ioredis')
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
    probe.on('error', () => {})
    const deadline = Date.now() + 10_000
    for (;;) {
      try {
        await probe.connect()
        if ((await probe.ping()) === 'PONG') break
      } catch {
        if (Date.now() > deadline) throw new Error('redis-server did not answer PING')
        probe.disconnect()
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    probe.disconnect()

    // Corpus: watermarked documents, unrelated text, and bad lines, in a fixed order.
    const marked = markedCorpus()
    keyTexts = marked.keyTexts
    const lines = marked.lines
    corpus = join(dir, 'corpus.jsonl')
    writeFileSync(corpus, `${lines.join('\n')}\n`)
    empty = join(dir, 'empty.jsonl')
    writeFileSync(empty, '')

    // Before the workers start: their scan threads take a copy of the environment that points at the store.
    s3 = await startS3()
    const { runScanWorker } = await import('../../src/scan/distributed/worker.js')
    workers = [0, 1].map(() => runScanWorker(url, { concurrency: 1, signal: stop.signal, log: () => {} }))
  })

  afterAll(async () => {
    stop.abort()
    await Promise.race([Promise.allSettled(workers), new Promise((r) => setTimeout(r, 10_000))])
    if (redis && redis.exitCode === null) {
      const exited = new Promise((r) => redis!.once('exit', r))
      redis.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))])
      if (redis.exitCode === null) redis.kill('SIGKILL')
    }
    await s3?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const compare = async (inputs: string[], extra: Partial<ScanOptions> & { shardSize?: number; maxPendingResults?: number }) => {
    const { runDistributedScan } = await import('../../src/scan/distributed/coordinator.js')
    const options: ScanOptions = { inputs, keyTexts, workers: 2, blockSize: 4, fdr: 0.05, ...extra }
    const local = collect()
    const localSummary = await runScan({ ...options, report: join(dir, 'local.html') }, local.io)
    const dist = collect()
    const distSummary = await runDistributedScan({ ...options, redis: url, shardSize: extra.shardSize, maxPendingResults: extra.maxPendingResults, report: join(dir, 'dist.html') }, dist.io)
    // The same HTML report, but for the time it was made and the scan's duration.
    const report = (name: string) =>
      readFileSync(join(dir, name), 'utf8')
        .replace(/<time datetime="[^"]*">[^<]*<\/time>/g, '<time/>')
        .replace(/Time<\/[^>]+>\s*<[^>]+>[^<]*/g, 'Time')
        .replace(/[\d,.]+ documents\/s · [\d,.]+ tokens\/s · [\d.]+ MB\/s/g, 'rate')
    expect(report('dist.html')).toEqual(report('local.html'))
    expect(dist.records.slice(0, -1)).toEqual(local.records.slice(0, -1))
    expect(withoutSeconds(dist.records.at(-1)!)).toEqual(withoutSeconds(local.records.at(-1)!))
    expect(withoutSeconds(JSON.stringify(distSummary))).toEqual(withoutSeconds(JSON.stringify(localSummary)))
    expect(dist.warnings).toEqual(local.warnings)
    return { local, localSummary }
  }

  it('emits the same records and summary as runScan', async () => {
    // shardSize 5 rounds up to 8 (two blocks of 4): 10 shards spread over two workers.
    // The toy corpus (a 26-word vocabulary) shares most tuples between documents, so the
    // common-tuple filter would drop them; the filter is compared in the next test.
    const { local, localSummary } = await compare([corpus], { shardSize: 5, commonTuples: false })
    // The corpus is what we meant it to be: detections, clean documents, errors.
    expect(localSummary.documents).toBeGreaterThan(20)
    expect(localSummary.errors.length).toBeGreaterThan(3)
    expect(localSummary.flagged).toBeGreaterThan(5)
    expect(localSummary.flagged).toBeLessThan(localSummary.documents)
    // The 26-word vocabulary leaves each watermarked document only ~27 distinct SelfHash
    // tuples (~23 green against 25%: p ~ 1e-10 on its own); the pooled test takes the
    // best 4-document block and pays for ~20 block-key tests, so it must stay clearly
    // below 1e-6 (it is ~1e-7.6 with these fixed seeds; no pooling gives 1).
    expect(localSummary.pooledLog10PValue).toBeLessThan(-6)
    expect(local.records.filter((l) => l.includes('"type":"error"')).length).toBe(localSummary.errors.length)
  })

  it('matches with one shard holding everything, with BY under arbitrary dependence, and with the common-tuple filter', async () => {
    const { localSummary } = await compare([corpus, corpus], { shardSize: 1000, fdrDependence: 'arbitrary', alpha: 1e-3 })
    // kgw keys: the common-tuple filter is on by default, and the same on both paths.
    expect(localSummary.commonTuples).toMatchObject({ fraction: 0.004, minDocuments: 10 })
  })

  it('reads s3:// objects in the workers (a local S3 server): same records as the local scan of them', async () => {
    await s3.put('shards/corpus.jsonl', readFileSync(corpus, 'utf8'))
    await s3.put('shards/more/corpus.jsonl', readFileSync(corpus, 'utf8'))
    const { localSummary } = await compare([`${s3.root}shards/`, `${s3.root}missing/`], { shardSize: 5, commonTuples: false })
    expect(localSummary.flagged).toBeGreaterThan(10)
    expect(localSummary.errors.at(-1)).toMatchObject({ file: `${s3.root}missing/`, reason: 'cannot read: no such object or prefix' })
  })

  it('handles an empty corpus and a missing file', async () => {
    const { localSummary } = await compare([empty, join(dir, 'missing.jsonl')], {})
    expect(localSummary.documents).toBe(0)
    expect(localSummary.errors).toHaveLength(1)
  })

  it('streams results: at most maxPendingResults shard results are ever held in Redis', async () => {
    const { Redis } = await import('ioredis')
    const r = new Redis(url)
    let most = 0
    let polling = true
    const poll = (async () => {
      while (polling) {
        most = Math.max(most, (await r.keys('tracemark:scan:*:result:*')).length)
        await new Promise((res) => setTimeout(res, 2))
      }
    })()
    try {
      // Three copies in shards of one block: ~30 shards through a window of 2.
      await compare([corpus, corpus, corpus], { shardSize: 4, maxPendingResults: 2 })
    } finally {
      polling = false
      await poll
      r.disconnect()
    }
    expect(most).toBeLessThanOrEqual(2)
  })

  it('resumes from its own state after a crash, and from a local scan\'s state, with the same output', async () => {
    const { runDistributedScan } = await import('../../src/scan/distributed/coordinator.js')
    const options: ScanOptions = { inputs: [corpus, corpus], keyTexts, blockSize: 4, fdr: 0.05 }
    const full = collect()
    await runScan(options, full.io)
    // A coordinator that dies after 30 records: the state holds the shards emitted before.
    const state = join(dir, 'dist.state')
    let n = 0
    const crashing = { record: () => { if (++n > 30) throw new Error('coordinator killed') }, warn: () => {} }
    await expect(runDistributedScan({ ...options, redis: url, shardSize: 8, resume: state }, crashing)).rejects.toThrow('coordinator killed')
    const blocks = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l.includes('"type":"block"')).length
    expect(blocks(state)).toBeGreaterThan(1) // shards completed before the crash, to be replayed
    const resumed = collect()
    await runDistributedScan({ ...options, redis: url, shardSize: 8, resume: state }, resumed.io)
    expect(resumed.records.slice(0, -1)).toEqual(full.records.slice(0, -1))
    expect(withoutSeconds(resumed.records.at(-1)!)).toEqual(withoutSeconds(full.records.at(-1)!))
    // A local scan's state (block by block) resumed on the workers.
    const localState = join(dir, 'local.state')
    let m = 0
    const crashingLocal = { record: () => { if (++m > 13) throw new Error('killed') }, warn: () => {} }
    await expect(runScan({ ...options, resume: localState }, crashingLocal)).rejects.toThrow('killed')
    expect(blocks(localState)).toBeGreaterThan(1)
    const mixed = collect()
    await runDistributedScan({ ...options, redis: url, shardSize: 8, resume: localState }, mixed.io)
    expect(mixed.records.slice(0, -1)).toEqual(full.records.slice(0, -1))
    // A state file of another scan is refused.
    await expect(runDistributedScan({ ...options, inputs: [corpus], redis: url, resume: state }, collect().io)).rejects.toThrow(/different scan/)
  })

  it('sends references through Redis, never the documents: workers read the file themselves', async () => {
    // Every command Redis receives, as redis-cli's MONITOR prints it.
    const monitor = spawn('/usr/bin/redis-cli', ['-u', url, 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] })
    let seen = ''
    monitor.stdout!.on('data', (d: Buffer) => (seen += d.toString()))
    await new Promise((r) => setTimeout(r, 300))
    try {
      await compare([corpus], {})
      await new Promise((r) => setTimeout(r, 300))
    } finally {
      monitor.kill()
    }
    // MONITOR escapes quotes inside arguments: \"kind\":\"lines\".
    expect(seen).toMatch(/kind\\?":\\?"lines/)
    // The last document's text: read by a worker from the file, never sent through Redis.
    expect(seen).not.toContain('zebra-quokka')
  })

  it('refuses a report over standard input, which cannot be read twice', async () => {
    const { runDistributedScan } = await import('../../src/scan/distributed/coordinator.js')
    const run = runDistributedScan({ inputs: ['-'], keyTexts, redis: url, report: join(dir, 'x.html') }, collect().io)
    await expect(run).rejects.toThrow(/standard input/)
  })

  it('leaves no key text or job data in Redis', async () => {
    const { Redis } = await import('ioredis')
    const r = new Redis(url)
    try {
      const secrets = keyTexts.map((t) => (JSON.parse(t) as { secret: string }).secret)
      const dump: string[] = []
      for (const k of await r.keys('*')) {
        const type = await r.type(k)
        if (type === 'string') dump.push((await r.get(k)) ?? '')
        else if (type === 'hash') dump.push(JSON.stringify(await r.hgetall(k)))
        else if (type === 'list') dump.push(JSON.stringify(await r.lrange(k, 0, -1)))
        else if (type === 'set') dump.push(JSON.stringify(await r.smembers(k)))
        else if (type === 'zset') dump.push(JSON.stringify(await r.zrange(k, 0, -1)))
        else if (type === 'stream') dump.push(JSON.stringify(await r.xrange(k, '-', '+')))
      }
      const all = dump.join('\n')
      for (const s of secrets) expect(all.includes(s)).toBe(false)
      // Neither the documents' text (the sentinel is in the last shard's job data).
      expect(all.includes('zebra-quokka')).toBe(false)
    } finally {
      r.disconnect()
    }
  })
})
