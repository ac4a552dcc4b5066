import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_SCHEME, generateKey, serializeKey } from '@tracemark/watermark'
import { runDistributedScan } from '../../detector/src/scan/distributed/coordinator.js'
import { connect, disconnect } from '../../detector/src/scan/distributed/protocol.js'
import { repoRoot } from '../src/model/default.js'
import { benchCorpus } from './scan.js'

const REDIS_SERVER = '/usr/bin/redis-server'

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

/** Bytes Redis has received and sent so far. */
async function traffic(r: ReturnType<typeof connect>): Promise<number> {
  const info = await r.info('stats')
  const get = (k: string) => Number(new RegExp(`${k}:(\\d+)`).exec(info)?.[1] ?? 0)
  return get('total_net_input_bytes') + get('total_net_output_bytes')
}

/**
 * `pnpm bench scan-distributed [MB]`: the distributed scan on loopback Redis
 * with 2 and 4 `tracemark worker` processes (one scoring thread each), against
 * the time of one; and the bytes Redis carried per byte of corpus (shard jobs
 * carry references, so this is small and independent of document size).
 */
export async function benchDistributed(mb = 5): Promise<void> {
  if (!existsSync(REDIS_SERVER)) {
    console.log('\ndistributed scan: skipped (redis-server is not installed: apt-get install redis-server)')
    return
  }
  const path = await benchCorpus(mb)
  const bytes = statSync(path).size
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  const dir = mkdtempSync(join(tmpdir(), 'tm-bench-redis-'))
  const redis = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
  const client = connect(url)
  const keyText = serializeKey(generateKey({ scheme: DEFAULT_SCHEME }))
  const cli = join(repoRoot(), 'packages', 'detector', 'src', 'cli', 'main.ts')
  console.log(`\ndistributed scan on ${(bytes / 1e6).toFixed(0)} MB of JSONL, loopback Redis, worker processes of one thread each`)
  let base = 0
  try {
    for (const n of [1, 2, 4]) {
      const workers: ChildProcess[] = Array.from({ length: n }, () =>
        spawn(process.execPath, ['--import', 'tsx', cli, 'worker', '--redis', url, '--concurrency', '1'], { stdio: 'ignore' }),
      )
      // Workers boot tsx and their tokenizer first: let them connect before the clock starts.
      await new Promise((r) => setTimeout(r, 4000))
      const before = await traffic(client)
      const t0 = performance.now()
      await runDistributedScan({ inputs: [path], keyTexts: [keyText], redis: url }, { record: () => {}, warn: () => {} })
      const s = (performance.now() - t0) / 1000
      const carried = (await traffic(client)) - before
      if (n === 1) base = s
      console.log(
        `  ${n} worker process${n > 1 ? 'es' : '  '}  ${(bytes / 1e6 / s).toFixed(2).padStart(6)} MB/s  x${(base / s).toFixed(2)} of 1   Redis traffic ${(carried / 1e6).toFixed(2)} MB (${((carried / bytes) * 1e3).toFixed(2)} MB per GB of corpus)`,
      )
      for (const w of workers) w.kill('SIGTERM')
      await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))))
    }
  } finally {
    await disconnect(client)
    redis.kill('SIGTERM')
  }
}
