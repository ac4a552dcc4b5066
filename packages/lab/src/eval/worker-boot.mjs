// Worker-thread entry of the evaluation pool (plain JavaScript, so that it loads in any
// runtime). Node 20 does not pass tsx's loader hooks to worker threads, so the TypeScript
// sources are loaded through tsx's registration API (with the repository's tsconfig,
// whose `paths` point @tracemark/* at the sources). Any failure is reported to the parent,
// which then runs the jobs in-process.
import { workerData } from 'node:worker_threads'

const { port, signal, tsconfig } = workerData
const sig = new Int32Array(signal)
const notify = () => {
  Atomics.add(sig, 0, 1)
  Atomics.notify(sig, 0)
}

try {
  const api = await import('tsx/esm/api')
  api.register({ tsconfig })
  const m = await import('./worker.ts')
  m.startWorker(port, notify)
} catch (e) {
  port.postMessage({ type: 'fatal', error: String((e && e.stack) || e) })
  notify()
}
