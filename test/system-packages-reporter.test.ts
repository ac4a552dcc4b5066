import { describe, expect, it } from 'vitest'
import { missingPackagesReport } from './system-packages-reporter.js'

describe('skipped-tests report', () => {
  const skipped = [
    { file: '/repo/packages/detector/test/scan-distributed/distributed.test.ts', name: 'distributed scan > scores shards' },
    { file: '/repo/packages/detector/test/scan-distributed/distributed.test.ts', name: 'distributed scan > resumes' },
    { file: '/repo/packages/detector/test/scan-report/report.test.ts', name: 'report > renders in Chromium' },
    { file: '/repo/test/cli.test.ts', name: 'skipped for another reason' },
  ]

  it('lists the skipped tests of each missing package and one install command', () => {
    const report = missingPackagesReport(skipped, (pkg) => pkg === 'zstd')
    expect(report).toContain('redis-server is not installed: 2 tests of the distributed scan')
    expect(report).toContain('    - distributed scan > resumes')
    expect(report).toContain('chromium is not installed: 1 test of the HTML report')
    expect(report).not.toContain('skipped for another reason')
    expect(report.trim().split('\n').at(-1)).toBe('Install them with: sudo apt-get install -y redis-server chromium')
  })

  it('says nothing when every package is installed, or when nothing was skipped for one', () => {
    expect(missingPackagesReport(skipped, () => true)).toBe('')
    expect(missingPackagesReport([], () => false)).toBe('')
  })
})
