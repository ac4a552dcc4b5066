#!/usr/bin/env node
import { run } from './program.js'

// A reader that stops early (`tracemark scan --json big/ | head`) closes the pipe: stop
// quietly with the status a shell gives a writer killed by SIGPIPE, never a stack trace,
// and never 0 or 1, which would read as a verdict on the input.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e
  process.exit(141)
})

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
