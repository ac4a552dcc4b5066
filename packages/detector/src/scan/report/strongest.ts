import type { DocumentResult } from '../types.js'

/** Documents the HTML report shows at most (the strongest flagged ones). */
export const REPORT_DOCUMENTS = 200

/**
 * The `limit` documents with the smallest p-values seen so far, with their
 * texts: what the report needs, in bounded memory however large the corpus.
 * Ties keep the earlier document, so every scan path shows the same ones.
 */
export function strongestDocuments<T extends { r: Pick<DocumentResult, 'index' | 'log10PValue'> }>(limit = REPORT_DOCUMENTS) {
  const kept: T[] = []
  const rank = (a: T, b: T) => a.r.log10PValue - b.r.log10PValue || a.r.index - b.r.index
  return {
    keep(d: T): void {
      if (kept.length >= limit && rank(d, kept[kept.length - 1]) >= 0) return
      kept.push(d)
      kept.sort(rank)
      if (kept.length > limit) kept.pop()
    },
    list(): T[] {
      return kept.slice()
    },
  }
}
