/** Worker side of the evaluation pool: runs jobs as they arrive, posts each result, then signals the parent. */
import type { MessagePort } from 'node:worker_threads'
import { runJob, warmUp, type Job } from './jobs.js'

export function startWorker(port: MessagePort, notify: () => void): void {
  const send = (msg: unknown) => {
    port.postMessage(msg)
    notify()
  }
  try {
    warmUp()
  } catch (e) {
    send({ type: 'fatal', error: String((e as Error).stack ?? e) })
    return
  }
  port.on('message', (job: Job) => {
    try {
      send({ type: 'result', result: runJob(job) })
    } catch (e) {
      send({ type: 'error', error: String((e as Error).stack ?? e) })
    }
  })
  send({ type: 'ready' })
}
