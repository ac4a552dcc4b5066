import { writeFileSync } from 'node:fs'
import type { WatermarkKey } from '@tracemark/watermark'
import type { ScorerOptions } from '../document.js'
import type { DocumentResult, ScanSummary } from '../types.js'
import { renderReport } from './html.js'
import { reportInput } from './input.js'

/** Writes the HTML report of a finished scan: the strongest documents that were flagged. */
export function writeReport(
  path: string,
  summary: ScanSummary & { flaggedDocuments: number[]; fdrProcedure: string },
  keys: WatermarkKey[],
  strongest: Array<{ r: DocumentResult; text: string }>,
  scorer: ScorerOptions = {},
): void {
  const isFlagged = new Set(summary.flaggedDocuments)
  writeFileSync(path, renderReport(reportInput(summary, keys, strongest.filter((d) => isFlagged.has(d.r.index)), scorer)))
}
