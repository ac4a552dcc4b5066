// Worker entry when running from the TypeScript sources (pnpm tracemark, tests):
// Node 20 does not pass tsx's loader hooks to worker threads, so load the worker
// through tsx's registration API with the repository's tsconfig (its `paths` map
// @tracemark/* to the sources). The published build uses dist/scan-worker.js instead.
import { workerData } from 'node:worker_threads'

const api = await import('tsx/esm/api')
api.register({ tsconfig: workerData.tsconfig })
await import('./worker.ts')
