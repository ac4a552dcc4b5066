#!/usr/bin/env node
import { run } from './program.js'

run(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
}).then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    // Never a stack trace and exit 1 ("not detected") for a failure: 2 is an error.
    process.stderr.write(`tracemark: internal error: ${e instanceof Error ? e.name : 'error'}\n`)
    process.exitCode = 2
  },
)
