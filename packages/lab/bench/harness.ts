/**
 * A small benchmark harness: runs each case in alternating rounds (so a noisy
 * neighbour slows baseline and candidate alike) and reports the median time per
 * operation. Ratios are always against a baseline measured in the same run.
 */
export interface Case {
  name: string
  /** One operation; return something so the JIT cannot drop the work. */
  run: () => unknown
}

export interface Result {
  name: string
  medianUs: number
  /**
   * Median CPU time per operation (user + system, every thread of the process, so
   * the garbage collector's helpers count too). On a shared machine the wall clock
   * also counts the time the process waited for a core; this does not.
   * Synchronous cases only.
   */
  medianCpuUs?: number
  samples: number
}

let sink: unknown

function timeOnce(c: Case, reps: number): { us: number; cpuUs: number } {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < reps; i++) sink = c.run()
  const us = ((performance.now() - t0) * 1000) / reps
  const cpu = process.cpuUsage(c0)
  return { us, cpuUs: (cpu.user + cpu.system) / reps }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Measures all cases over `rounds` interleaved rounds of about `roundMs` each. */
export function bench(cases: Case[], options: { rounds?: number; roundMs?: number } = {}): Result[] {
  const rounds = options.rounds ?? 9
  const roundMs = options.roundMs ?? 150
  // Warm up, and size the repetitions so one round takes about roundMs.
  const reps = cases.map((c) => {
    for (let i = 0; i < 5; i++) sink = c.run()
    const { us } = timeOnce(c, 3)
    return Math.max(1, Math.round((roundMs * 1000) / Math.max(us, 0.001)))
  })
  const times: number[][] = cases.map(() => [])
  const cpuTimes: number[][] = cases.map(() => [])
  for (let r = 0; r < rounds; r++)
    cases.forEach((c, i) => {
      const t = timeOnce(c, reps[i])
      times[i].push(t.us)
      cpuTimes[i].push(t.cpuUs)
    })
  void sink
  return cases.map((c, i) => ({ name: c.name, medianUs: median(times[i]), medianCpuUs: median(cpuTimes[i]), samples: rounds }))
}

export function fmtUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} us`
}

/** Prints a table of results with each one's ratio to `baseline`. */
export function table(title: string, results: Result[], baseline: string): void {
  const base = results.find((r) => r.name === baseline)!
  console.log(`\n${title}`)
  const w = Math.max(...results.map((r) => r.name.length))
  for (const r of results) {
    console.log(`  ${r.name.padEnd(w)}  ${fmtUs(r.medianUs).padStart(10)}  x${(r.medianUs / base.medianUs).toFixed(2)}`)
  }
}

/** An asynchronous case (a model runtime call). */
export interface AsyncCase {
  name: string
  run: () => Promise<unknown>
}

async function timeOnceAsync(c: AsyncCase, reps: number): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < reps; i++) sink = await c.run()
  return ((performance.now() - t0) * 1000) / reps
}

/** {@link bench} for asynchronous cases: interleaved rounds, median time per operation. */
export async function benchAsync(cases: AsyncCase[], options: { rounds?: number; roundMs?: number } = {}): Promise<Result[]> {
  const rounds = options.rounds ?? 5
  const roundMs = options.roundMs ?? 300
  const reps: number[] = []
  for (const c of cases) {
    await c.run()
    const us = await timeOnceAsync(c, 1)
    reps.push(Math.max(1, Math.round((roundMs * 1000) / Math.max(us, 0.001))))
  }
  const times: number[][] = cases.map(() => [])
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < cases.length; i++) times[i].push(await timeOnceAsync(cases[i], reps[i]))
  }
  return cases.map((c, i) => ({ name: c.name, medianUs: median(times[i]), samples: rounds }))
}
