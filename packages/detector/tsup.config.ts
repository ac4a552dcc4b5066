import { defineConfig } from 'tsup'

/**
 * Files the built code loads at run time by path (`new URL('./<name>.js', import.meta.url)`),
 * not by import: each must be an entry of its own, emitted next to the CLI as
 * `dist/<name>.js`. A new worker thread: add `'<name>-worker': 'src/…/its-entry.ts'` here,
 * load it as `./<name>-worker.js` from the built code, and the pack-and-install test
 * (test/published.test.ts) proves the published CLI finds it.
 */
export const RUNTIME_ENTRIES = {
  'scan-worker': 'src/scan/worker.ts',
}

// The build script empties dist/ first: tsup's `clean` per config would race between the two.
export default defineConfig([
  {
    // The library: ESM and CJS, with types.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    target: 'node20',
  },
  {
    // The `tracemark` binary and the files it loads at run time: ESM only (they use import.meta.url).
    entry: { cli: 'src/cli.ts', ...RUNTIME_ENTRIES },
    format: ['esm'],
    target: 'node20',
  },
])
