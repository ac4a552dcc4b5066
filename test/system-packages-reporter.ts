/**
 * A vitest reporter that says, once at the end of a run, which tests were skipped because a
 * system package is missing, and the command that installs them. Without it a machine
 * without redis-server or chromium passes with those tests silently left out.
 */
import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import type { Reporter, TestModule } from 'vitest/node'

const onPath = (binary: string) => (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, binary)))

/**
 * The Debian packages some tests need: the test files that skip without them, and the
 * check those tests make (the same path, so the report and the skip agree).
 */
export const SYSTEM_PACKAGES: readonly { pkg: string; installed: () => boolean; files: RegExp; what: string }[] = [
  { pkg: 'redis-server', installed: () => existsSync('/usr/bin/redis-server'), files: /scan-distributed\//, what: 'the distributed scan (BullMQ on a local Redis)' },
  { pkg: 'chromium', installed: () => existsSync('/usr/bin/chromium'), files: /scan-report\//, what: 'the HTML report rendered in a real browser' },
  { pkg: 'zstd', installed: () => onPath('zstd'), files: /scan-sources\/compression/, what: 'files compressed by the zstd tool' },
]

/** The message for skipped tests in files that need a missing package, or '' when none was. */
export function missingPackagesReport(
  skipped: readonly { file: string; name: string }[],
  installed: (pkg: string) => boolean = (pkg) => SYSTEM_PACKAGES.find((p) => p.pkg === pkg)!.installed(),
): string {
  const missing = SYSTEM_PACKAGES.filter((p) => !installed(p.pkg))
  const lines: string[] = []
  const needed: string[] = []
  for (const p of missing) {
    const tests = skipped.filter((t) => p.files.test(t.file.replaceAll('\\', '/')))
    if (tests.length === 0) continue
    needed.push(p.pkg)
    lines.push(`  ${p.pkg} is not installed: ${tests.length} test${tests.length === 1 ? '' : 's'} of ${p.what} skipped`)
    for (const t of tests) lines.push(`    - ${t.name}`)
  }
  if (needed.length === 0) return ''
  return ['', 'Skipped for missing system packages:', ...lines, `Install them with: sudo apt-get install -y ${needed.join(' ')}`, ''].join('\n')
}

export default class SystemPackagesReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const skipped: { file: string; name: string }[] = []
    for (const m of modules) {
      for (const t of m.children.allTests('skipped')) skipped.push({ file: m.moduleId, name: t.fullName })
    }
    const report = missingPackagesReport(skipped)
    if (report) process.stdout.write(`${report}\n`)
  }
}
