import { createWatermarker, type WatermarkKey } from '@tracemark/watermark'
import { normalizeText } from '../../text/normalize.js'
import { tokenizerForKeyFrom } from '../../text/key-tokenizer.js'
import type { ScorerOptions } from '../document.js'
import { describeLocation, type DocumentResult, type ScanSummary } from '../types.js'
import type { ReportInput } from './html.js'
import { markedPieces } from './pieces.js'

/**
 * The HTML report's input from a finished scan: the flagged documents' texts are
 * normalized as the scorer did, so the highlighted tokens are the scored ones.
 */
export function reportInput(
  summary: ScanSummary & { flaggedDocuments: number[]; fdrProcedure: string },
  keys: WatermarkKey[],
  shown: Array<{ r: DocumentResult; text: string }>,
  options: ScorerOptions = {},
): ReportInput {
  const byId = new Map(keys.map((k) => [k.keyId, k]))
  const wms = new Map<string, ReturnType<typeof createWatermarker>>()
  return {
    summary,
    keys: keys.map((k) => ({ keyId: k.keyId, spec: { ...k.spec } })),
    generatedAt: new Date().toISOString(),
    documents: shown.map(({ r, text }) => {
      const key = byId.get(r.keyId)!
      let wm = wms.get(r.keyId)
      if (!wm) wms.set(r.keyId, (wm = createWatermarker(key)))
      const tok = tokenizerForKeyFrom(key.spec, options.tokenizerFiles, options.tokenizerBackend)
      const normalized = options.normalize === false ? text : normalizeText(text, options.normalize)
      const where = describeLocation(r)
      return {
        index: r.index,
        where,
        pValue: r.pValue,
        log10PValue: r.log10PValue,
        tokens: r.tokens,
        account: r.attribution?.account ?? null,
        pieces: markedPieces(wm, tok, normalized),
      }
    }),
  }
}
