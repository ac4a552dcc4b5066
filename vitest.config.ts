import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}/src/index.ts`, import.meta.url))

// Tests run against the sources, never a stale dist/ build.
export default defineConfig({
  resolve: {
    alias: [
      // The runtime adapters are subpath exports of the watermark package.
      {
        find: /^@tracemark\/watermark\/(transformers|llama-cpp)$/,
        replacement: fileURLToPath(new URL('./packages/watermark/src/runtimes/$1.ts', import.meta.url)),
      },
      { find: '@tracemark/watermark', replacement: src('watermark') },
      { find: '@tracemark/detector', replacement: src('detector') },
      { find: '@tracemark/lab', replacement: src('lab') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // The second reporter lists, at the end, tests skipped because a system package is missing.
    reporters: ['default', './test/system-packages-reporter.ts'],
  },
})
