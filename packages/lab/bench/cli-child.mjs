/**
 * Runs the built `tracemark` CLI (argv[2], then its arguments) in this process and,
 * at exit, writes the process's peak RSS to stderr as a last JSON line: what a
 * user's `tracemark scan` holds, worker threads included (`pnpm bench scan`).
 */
import { pathToFileURL } from 'node:url'

const [cli, ...args] = process.argv.slice(2)
process.argv = [process.argv[0], cli, ...args]
// maxRSS is in KiB and covers every thread of the process.
process.on('exit', () => process.stderr.write(`\n${JSON.stringify({ peakRss: process.resourceUsage().maxRSS * 1024 })}\n`))
await import(pathToFileURL(cli).href)
