import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}/src/index.ts`, import.meta.url))

// Tests run against the sources, never a stale dist/ build.
export default defineConfig({
  resolve: {
    alias: {
      '@tracemark/watermark': src('watermark'),
      '@tracemark/detector': src('detector'),
      '@tracemark/lab': src('lab'),
    },
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
