/**
 * Runs evaluation jobs on worker threads while keeping `runEval` synchronous: the
 * parent blocks in `Atomics.wait` on a shared counter that every worker bumps after
 * posting a message, and reads messages with `receiveMessageOnPort` (no event loop
 * needed). When workers cannot start (e.g. a runtime that cannot load TypeScript in
 * a worker) the jobs run in-process, one after the other.
 */
import { join } from 'node:path'
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import { repoRoot } from '../model/default.js'
import { runJob, warmUp, type Job, type JobResult } from './jobs.js'

type Message = { type: 'ready' } | { type: 'result'; result: JobResult } | { type: 'error' | 'fatal'; error: string }

interface Slot {
  worker: Worker
  port: MessagePort
  busy: Job | null
}

export interface Pool {
  /** Number of parallel workers (1 = in-process). */
  readonly size: number
  /**
   * Runs jobs from `next()` (called whenever a worker is free; undefined = nothing more
   * for now) until it returns undefined and nothing is running; `onResult` gets each result.
   */
  run(next: () => Job | undefined, onResult: (r: JobResult, job: Job) => void): void
  close(): void
}

const READY_TIMEOUT_MS = 10 * 60_000 // the first worker may have to train the model
const SILENCE_TIMEOUT_MS = 15 * 60_000

/** A pool of `size` workers, or an in-process runner when size <= 1 or workers fail to start. */
export function createPool(size: number, log: (line: string) => void): Pool {
  if (size > 1) {
    try {
      return workerPool(size)
    } catch (e) {
      log(`worker threads unavailable (${(e as Error).message.split('\n')[0]}); running in-process`)
    }
  }
  return inProcessPool()
}

function inProcessPool(): Pool {
  warmUp()
  return {
    size: 1,
    run(next, onResult) {
      for (let job = next(); job; job = next()) onResult(runJob(job), job)
    },
    close() {},
  }
}

function workerPool(size: number): Pool {
  const signal = new SharedArrayBuffer(4)
  const sig = new Int32Array(signal)
  const tsconfig = join(repoRoot(), 'tsconfig.json')
  const slots: Slot[] = []
  const close = () => {
    for (const s of slots) {
      void s.worker.terminate()
      s.worker.unref()
      s.port.close()
    }
  }
  for (let i = 0; i < size; i++) {
    const { port1, port2 } = new MessageChannel()
    const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
      workerData: { port: port2, signal, tsconfig },
      transferList: [port2],
      stdout: false,
      stderr: false,
    })
    slots.push({ worker, port: port1, busy: null })
  }
  /** Blocks until some slot has a message; returns [slot, message]. */
  const wait = (timeoutMs: number): [Slot, Message] => {
    const t0 = Date.now()
    for (;;) {
      const seen = Atomics.load(sig, 0)
      for (const s of slots) {
        const m = receiveMessageOnPort(s.port)
        if (m) return [s, m.message as Message]
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`no message from the evaluation workers for ${Math.round(timeoutMs / 1000)} s`)
      Atomics.wait(sig, 0, seen, 1000)
    }
  }
  try {
    let ready = 0
    while (ready < size) {
      const [, m] = wait(READY_TIMEOUT_MS)
      if (m.type === 'ready') ready++
      else if (m.type === 'fatal' || m.type === 'error') throw new Error(m.error)
    }
  } catch (e) {
    close()
    throw e
  }
  return {
    size,
    run(next, onResult) {
      let running = 0
      let exhausted = false
      const fill = () => {
        for (const s of slots) {
          if (s.busy || exhausted) continue
          const job = next()
          if (!job) {
            exhausted = true
            return
          }
          s.busy = job
          s.port.postMessage(job)
          running++
        }
      }
      fill()
      while (running > 0) {
        const [s, m] = wait(SILENCE_TIMEOUT_MS)
        if (m.type !== 'result') throw new Error(`evaluation worker failed: ${'error' in m ? m.error : m.type}`)
        const job = s.busy!
        s.busy = null
        running--
        onResult(m.result, job)
        exhausted = false
        fill()
      }
    },
    close,
  }
}
