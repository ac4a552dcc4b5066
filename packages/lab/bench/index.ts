/**
 * `pnpm bench`: embed cost per decoding step, detection and tokenizer.json
 * throughput, and the runtime adapters' overhead per generated token (`pnpm bench
 * runtimes`), each as medians with ratios against a baseline measured in the same
 * run. Figures, not assertions: the machines are shared and noisy.
 */
import { benchDetect } from './detect.js'
import { benchEmbed, benchRequest } from './embed.js'
import { benchFastGenerate, benchGenerate } from './generate.js'
import { benchCorpus, benchKeys, benchScan } from './scan.js'
import { benchRuntimes } from './runtimes.js'
import { benchTokenizers } from './tokenizers.js'
import { benchDistributed } from './scan-distributed.js'
import { benchTokenize } from './tokenize.js'

const only = process.argv[2]
console.log(`tracemark bench — node ${process.version}, ${new Date().toISOString()}`)
if (!only || only === 'embed') {
  for (const v of [100_277, 200_019]) {
    benchEmbed(v, 0)
    benchEmbed(v, 50)
  }
}
if (!only || only === 'embed' || only === 'request') benchRequest(100_277)
if (!only || only === 'generate') benchGenerate()
if (!only || only === 'generate' || only === 'steal') benchFastGenerate()
if (!only || only === 'detect') benchDetect()
if (!only || only === 'tokenizers') benchTokenizers()
if (!only || only === 'tokenize') benchTokenize()
if (!only || only === 'scan') await benchScan(Number(process.argv[3] ?? 20))
if (only === 'keys') await benchKeys(await benchCorpus(10))
if (!only || only === 'runtimes') await benchRuntimes()
if (!only || only === 'scan-distributed') await benchDistributed(Number(process.argv[3] ?? 5))
