import { spawn, spawnSync } from 'node:child_process'
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import { DEFAULT_SCHEME, generateKey, serializeKey } from '@tracemark/watermark'
import { loadCorpus } from '../src/corpus/corpus.js'
import { repoRoot } from '../src/model/default.js'

/**
 * Builds (once) a JSONL corpus of real English of about `mb` megabytes under
 * .cache/bench/, cut from the Brown + SOTU documents into ~2 KB records.
 */
export async function benchCorpus(mb: number): Promise<string> {
  const dir = join(repoRoot(), '.cache', 'bench')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `corpus-${mb}mb.jsonl`)
  if (existsSync(path) && statSync(path).size >= mb * 1e6) return path
  const pieces: string[] = []
  for (const d of loadCorpus()) for (let i = 0; i + 2000 <= d.text.length; i += 2000) pieces.push(d.text.slice(i, i + 2000))
  const out = createWriteStream(path)
  let written = 0
  for (let i = 0; written < mb * 1e6; i++) {
    const line = `${JSON.stringify({ id: i, text: pieces[i % pieces.length] })}\n`
    written += Buffer.byteLength(line)
    if (!out.write(line)) await new Promise((r) => out.once('drain', r))
  }
  await new Promise((r) => out.end(r))
  return path
}

/** The same corpus as Parquet (row groups of 4096 documents), written once, streaming. */
async function benchParquet(jsonl: string): Promise<string> {
  const path = jsonl.replace(/\.jsonl$/, '.parquet')
  if (existsSync(path)) return path
  // hyparquet-writer is the detector's (dev) dependency: resolve it from there.
  const req = createRequire(join(repoRoot(), 'packages', 'detector', 'package.json'))
  type Writer = { write(o: { columnData: Array<{ name: string; data: string[] }>; rowGroupSize: number }): void; finish(): void }
  const { ParquetWriter, fileWriter } = (await import(pathToFileURL(req.resolve('hyparquet-writer')).href)) as {
    ParquetWriter: new (o: { writer: unknown; schema: unknown[] }) => Writer
    fileWriter: (path: string) => unknown
  }
  const writer = new ParquetWriter({ writer: fileWriter(`${path}.tmp`), schema: [{ name: 'root', num_children: 1 }, { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' }] })
  let batch: string[] = []
  const flush = () => {
    if (batch.length) writer.write({ columnData: [{ name: 'text', data: batch }], rowGroupSize: 4096 })
    batch = []
  }
  for await (const line of createInterface({ input: createReadStream(jsonl) })) {
    batch.push((JSON.parse(line) as { text: string }).text)
    if (batch.length === 4096) flush()
  }
  flush()
  writer.finish()
  const { renameSync } = await import('node:fs')
  renameSync(`${path}.tmp`, path)
  return path
}

interface Measured {
  seconds: number
  tokens: number
  peakRss: number
}

/**
 * Runs `node args` and waits for it: its exit code, the last line it printed (output
 * streams past; a scan's records are not kept), its standard error, and the wall time.
 */
async function runNode(args: string[]): Promise<{ code: number | null; last: string; err: string; seconds: number }> {
  const t0 = performance.now()
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let last = ''
  let err = ''
  createInterface({ input: child.stdout! }).on('line', (l) => (last = l))
  child.stderr!.on('data', (d) => (err += d))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, last, err, seconds: (performance.now() - t0) / 1000 }
}

/** The floor in a fresh process; see scan-child.ts. */
async function measureFloor(job: { inputs: string[]; backend?: string }): Promise<Measured> {
  const r = await runNode([await bundled('scan-child'), JSON.stringify({ mode: 'floor', ...job })])
  if (r.code !== 0) throw new Error(`bench child failed: ${r.err}`)
  return JSON.parse(r.last) as Measured
}

/**
 * Two floors at once, in two processes that share nothing: how much two busy
 * cores of this machine give over one, whatever the scan does (seconds: the
 * slower of the two; tokens: both).
 */
async function measureFloorPair(job: { inputs: string[]; backend?: string }): Promise<Measured> {
  const [a, b] = await Promise.all([measureFloor(job), measureFloor(job)])
  return { seconds: Math.max(a.seconds, b.seconds), tokens: a.tokens + b.tokens, peakRss: Math.max(a.peakRss, b.peakRss) }
}

const detectorDir = () => join(repoRoot(), 'packages', 'detector')
const builtCli = () => join(detectorDir(), 'dist', 'cli.js')

/**
 * A bench child (packages/lab/bench/<name>.ts) bundled as the packages are built
 * (tsup, dependencies left to node_modules), so that it measures the code users
 * run: tsx wraps every named closure in __name(), which made whole-document
 * scoring ~30 % slower under tsx than built. Written next to the detector's
 * sources, where their dependencies resolve (the watermark package's dist too).
 */
function bundled(name: string): Promise<string> {
  // Once per run: the floor runs several times, twice at once for the pair, and two
  // builds writing the same file while a child loads it would race.
  let out = bundles.get(name)
  if (!out) bundles.set(name, (out = bundle(name)))
  return out
}

const bundles = new Map<string, Promise<string>>()

async function bundle(name: string): Promise<string> {
  ensureBuilt()
  const { build } = await import('tsup')
  const outDir = join(detectorDir(), '.bench')
  await build({
    entry: { [name]: join(repoRoot(), 'packages', 'lab', 'bench', `${name}.ts`) },
    outDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    splitting: false,
    sourcemap: false,
    dts: false,
    clean: false,
    silent: true,
    config: false,
    skipNodeModulesBundle: true,
    // The watermark package as users get it, its built dist: not its sources,
    // where the repo's tsconfig paths would lead.
    esbuildPlugins: [
      {
        name: 'watermark-dist',
        setup: (b) => b.onResolve({ filter: /^@tracemark\/watermark/ }, (a) => ({ path: a.path, external: true })),
      },
    ],
  })
  const out = [`${name}.js`, `${name}.mjs`].map((f) => join(outDir, f)).find((f) => existsSync(f))
  if (!out) throw new Error(`bundling ${name} wrote nothing to ${outDir}`)
  return out
}

/** Newest modification time of the files under `dir`, in ms. */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

/** Builds the CLI when its dist/ is missing or older than the sources it is built from. */
function ensureBuilt(): void {
  const cli = builtCli()
  const src = Math.max(newest(join(detectorDir(), 'src')), newest(join(repoRoot(), 'packages', 'watermark', 'src')))
  if (existsSync(cli) && statSync(cli).mtimeMs >= src && newest(join(repoRoot(), 'packages', 'watermark', 'dist')) >= src) return
  console.log('  (building the CLI first: pnpm build)')
  const r = spawnSync('pnpm', ['build'], { cwd: repoRoot(), encoding: 'utf8', shell: process.platform === 'win32' })
  if (r.status !== 0) throw new Error(`pnpm build failed: ${r.stderr || r.stdout}`)
}

/**
 * One `tracemark scan --json` of the built CLI in a fresh process (cli-child.mjs):
 * what a user runs, worker threads and all. Seconds are wall time, start-up
 * included (the caller subtracts a one-document scan's); tokens come from the
 * summary record.
 */
async function measureCli(job: { inputs: string[]; keyFile: string; workers: number; backend?: string }): Promise<Measured> {
  const args = [join(repoRoot(), 'packages', 'lab', 'bench', 'cli-child.mjs'), builtCli(), 'scan', ...job.inputs, '--key', job.keyFile, '--workers', String(job.workers), '--json']
  if (job.backend) args.push('--tokenizer-backend', job.backend)
  const { code, last, err, seconds } = await runNode(args)
  // Exit 0 or 1 (flagged or not); 2 is an error.
  if (code !== 0 && code !== 1) throw new Error(`tracemark scan failed (${code}): ${err}`)
  const summary = JSON.parse(last) as { type: string; tokens: number }
  if (summary.type !== 'summary') throw new Error(`no summary record from tracemark scan: ${last.slice(0, 200)}`)
  const peakRss = (JSON.parse(err.trim().split('\n').at(-1)!) as { peakRss: number }).peakRss
  return { seconds, tokens: summary.tokens, peakRss }
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`

/**
 * `pnpm bench scan [MB]`: the scan against its floor, in one run (ratios are
 * what counts on a shared machine):
 * - throughput of read + parse + tokenize alone (the floor), and of two floors at
 *   once (what two busy cores give);
 * - the built CLI's scan with 1 and 2 workers, over the same data as Parquet, and
 *   with a race-fingerprinted key (keygen's default), with each process's peak RSS;
 * - then {@link benchKeys}: 1, 4 and 16 keys, and id scoring per scheme.
 */
export async function benchScan(mb = 20): Promise<void> {
  const path = await benchCorpus(mb)
  const parquet = await benchParquet(path)
  const bytes = statSync(path).size
  const backend = process.env.TRACEMARK_BENCH_BACKEND
  ensureBuilt()
  const dir = mkdtempSync(join(tmpdir(), 'tm-bench-'))
  const keyFile = join(dir, 'key.json')
  writeFileSync(keyFile, serializeKey(generateKey({ scheme: DEFAULT_SCHEME })), { mode: 0o600 })
  // What `tracemark keygen` makes by default: a race fingerprint, whose account test decodes documents.
  const raceKeyFile = join(dir, 'race-key.json')
  writeFileSync(raceKeyFile, serializeKey(generateKey({ scheme: DEFAULT_SCHEME, fingerprint: { bits: 32 } })), { mode: 0o600 })
  const tiny = join(dir, 'one.jsonl')
  writeFileSync(tiny, `${JSON.stringify({ text: 'one short document' })}\n`)
  // Rounds alternate the runs, so a noisy neighbour slows all of them alike; medians.
  const rounds = Math.max(1, Number(process.env.TRACEMARK_BENCH_ROUNDS ?? 3))
  console.log(`\nscan throughput on ${(bytes / 1e6).toFixed(0)} MB of JSONL (default scheme key${backend ? `, ${backend}` : ''}; each run a fresh process; median of ${rounds} alternating rounds)`)
  console.log('  the scans are the built CLI (`tracemark scan --json`), less the time of a one-document scan (start-up); peak RSS is the whole process')
  const jobs = {
    floor: () => measureFloor({ inputs: [path], backend }),
    pair: () => measureFloorPair({ inputs: [path], backend }),
    startup: () => measureCli({ inputs: [tiny], keyFile, workers: 2, backend }),
    one: () => measureCli({ inputs: [path], keyFile, workers: 1, backend }),
    two: () => measureCli({ inputs: [path], keyFile, workers: 2, backend }),
    parquet: () => measureCli({ inputs: [parquet], keyFile, workers: 2, backend }),
    race: () => measureCli({ inputs: [path], keyFile: raceKeyFile, workers: 2, backend }),
  }
  const runs: Record<keyof typeof jobs, Measured[]> = { floor: [], pair: [], startup: [], one: [], two: [], parquet: [], race: [] }
  for (let r = 0; r < rounds; r++) for (const k of Object.keys(jobs) as Array<keyof typeof jobs>) runs[k].push(await jobs[k]())
  rmSync(dir, { recursive: true, force: true })
  const med = (ms: Measured[]): Measured => {
    const s = [...ms].sort((x, y) => x.seconds - y.seconds)[ms.length >> 1]
    return { ...s, peakRss: Math.max(...ms.map((m) => m.peakRss)) }
  }
  const startup = med(runs.startup).seconds
  const scan = (ms: Measured[]): Measured => {
    const m = med(ms)
    return { ...m, seconds: Math.max(1e-3, m.seconds - startup) }
  }
  const [floor, one, two, pq, race] = [med(runs.floor), scan(runs.one), scan(runs.two), scan(runs.parquet), scan(runs.race)]
  const line = (name: string, m: Measured, ratio: string) =>
    console.log(`  ${name.padEnd(26)} ${(bytes / 1e6 / m.seconds).toFixed(2).padStart(6)} MB/s  ${(m.tokens / 1e6 / m.seconds).toFixed(2).padStart(5)} M tokens/s  ${ratio.padEnd(22)} peak RSS ${mib(m.peakRss)}`)
  console.log(`  start-up (a one-document scan, 2 workers) ${startup.toFixed(2)} s, peak RSS ${mib(med(runs.startup).peakRss)}`)
  line('read + parse + tokenize', floor, 'floor')
  const pair = med(runs.pair)
  // What two cores gave two independent floors in this run.
  const pairGain = (2 * floor.seconds) / pair.seconds
  console.log(`  ${'the same, twice at once'.padEnd(26)} ${((2 * bytes) / 1e6 / pair.seconds).toFixed(2).padStart(6)} MB/s  ${(pair.tokens / 1e6 / pair.seconds).toFixed(2).padStart(5)} M tokens/s  x${pairGain.toFixed(2)} of the floor (what 2 cores give here)`)
  line('scan, 1 worker', one, `x${(floor.seconds / one.seconds).toFixed(2)} of the floor`)
  line('scan, 2 workers', two, `x${(one.seconds / two.seconds).toFixed(2)} of 1 worker`)
  // The target (2 workers >= 1.8x one) against that gain.
  console.log(`  ${''.padEnd(26)} the two cores gave the floor x${pairGain.toFixed(2)} in this run: 2 workers reach ${((one.seconds / two.seconds / pairGain) * 100).toFixed(0)} % of that`)
  line('scan, 2 workers, Parquet', pq, `x${(one.seconds / pq.seconds).toFixed(2)} of 1 worker`)
  line('scan, 2 workers, race key', race, `x${(two.seconds / race.seconds).toFixed(2)} of the plain key`)
  console.log('  (race key: keygen\'s default, a gumbel key with a race fingerprint; the corpus carries no watermark, so about half its documents pass the gate and are decoded)')

  await benchKeys(path)
}

/**
 * `pnpm bench keys`: the scorer with 1, 4 and 16 keys, and id scoring per scheme
 * (keys-child.ts), run on the bundled code in a child process.
 */
export async function benchKeys(path: string): Promise<void> {
  const r = spawnSync(process.execPath, [await bundled('keys-child'), path], { stdio: 'inherit' })
  if (r.status !== 0) throw new Error(`bench child keys-child failed (${r.status})`)
}
