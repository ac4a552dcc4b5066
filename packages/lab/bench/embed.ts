import { createWatermarker, generateKey, seededRandom, type SpecInput } from '@tracemark/watermark'
import { createSyntheticModel } from '../src/synthetic.js'
import { bench, table, type Case } from './harness.js'

/**
 * What a host does without tracemark: softmax over the logits and an inverse-CDF
 * draw, written the obvious way. Every watermarked step is compared with it.
 */
let hostBuffer = new Float64Array(0)

function naiveHostSample(logits: Float32Array, random: () => number): number {
  let max = -Infinity
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i]
  if (hostBuffer.length !== logits.length) hostBuffer = new Float64Array(logits.length)
  const p = hostBuffer
  let sum = 0
  for (let i = 0; i < logits.length; i++) sum += p[i] = Math.exp(logits[i] - max)
  const u = random() * sum
  let acc = 0
  for (let i = 0; i < logits.length; i++) if ((acc += p[i]) > u) return i
  return logits.length - 1
}

/** Host top-k 50: a partial selection, then softmax over 50. */
function naiveHostTopK(logits: Float32Array, k: number, random: () => number): number {
  const ids = new Int32Array(k).fill(-1)
  const vals = new Float64Array(k).fill(-Infinity)
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]
    if (v <= vals[k - 1]) continue
    let j = k - 1
    while (j > 0 && vals[j - 1] < v) {
      vals[j] = vals[j - 1]
      ids[j] = ids[j - 1]
      j--
    }
    vals[j] = v
    ids[j] = i
  }
  let sum = 0
  const p = vals.map((v) => Math.exp(v - vals[0]))
  for (const x of p) sum += x
  const u = random() * sum
  let acc = 0
  for (let j = 0; j < k; j++) if ((acc += p[j]) > u) return ids[j]
  return ids[k - 1]
}

export const EMBED_SCHEMES: SpecInput[] = [
  { scheme: 'kgw' },
  { scheme: 'kgw', seeding: 'left' },
  { scheme: 'gumbel' },
  { scheme: 'synthid' },
  { scheme: 'unigram' },
]

const label = (s: SpecInput) => (s.scheme === 'kgw' ? `kgw-${s.seeding ?? 'self'}` : s.scheme)

/** Per-step embed cost against the naive host on the same logits. */
export function benchEmbed(vocabSize: number, topK: number): void {
  const model = createSyntheticModel({ vocabSize, seed: 3 })
  // A pool of contexts so each step sees a new window, as in real decoding.
  const pool = Array.from({ length: 16 }, (_, i) => model.logits([i, i * 7 + 1]))
  const rnd = seededRandom(1)
  let step = 0
  const next = () => pool[step++ & 15]
  const cases: Case[] = [
    {
      name: 'host (no watermark)',
      run: () => (topK ? naiveHostTopK(next(), topK, rnd) : naiveHostSample(next(), rnd)),
    },
  ]
  for (const spec of EMBED_SCHEMES) {
    const wm = createWatermarker(generateKey({ ...spec, vocabSize }))
    let s = wm.session({ prompt: [1, 2, 3, 4] })
    let n = 0
    // A fresh session now and then keeps the seen-window set from growing without bound.
    const session = () => (++n % 4096 === 0 ? (s = wm.session({ prompt: [n, 2, 3, 4] })) : s)
    cases.push({ name: `${label(spec)} sample()`, run: () => session().sample(next(), { random: rnd, topK }) })
    if ((spec.scheme === 'kgw' || spec.scheme === 'unigram') && !topK) {
      const scratch = new Float32Array(vocabSize)
      cases.push({
        name: `${label(spec)} bias() + host`,
        run: () => {
          const ss = session()
          scratch.set(next())
          ss.bias(scratch)
          const id = naiveHostSample(scratch, rnd)
          ss.accept(id)
          return id
        },
      })
    }
  }
  table(`embed step, V = ${vocabSize}${topK ? `, host top-k ${topK}` : ', full-vocabulary host'}: median per step, ratio to host`, bench(cases), 'host (no watermark)')
}

/**
 * A short request end to end: open a session, then 32 steps behind a top-k 50 host.
 * Per-request setup (buffers, the fingerprint codeword) shows here, not in the per-step table.
 */
export function benchRequest(vocabSize: number): void {
  const model = createSyntheticModel({ vocabSize, seed: 3 })
  const pool = Array.from({ length: 16 }, (_, i) => model.logits([i, i * 7 + 1]))
  const rnd = seededRandom(2)
  const STEPS = 32
  let r = 0
  const cases: Case[] = [
    {
      name: 'host (no watermark)',
      run: () => {
        let id = 0
        for (let i = 0; i < STEPS; i++) id = naiveHostTopK(pool[i & 15], 50, rnd)
        return id
      },
    },
  ]
  for (const spec of [...EMBED_SCHEMES, { scheme: 'gumbel', fingerprint: { bits: 32 } } as SpecInput]) {
    const wm = createWatermarker(generateKey({ ...spec, vocabSize }))
    cases.push({
      name: `${label(spec)}${spec.fingerprint ? ' + fingerprint' : ''}`,
      run: () => {
        r++
        const s = wm.session({ prompt: [r, r >> 8, 3, 4], payload: spec.fingerprint ? r & 0xffff : undefined })
        let id = 0
        for (let i = 0; i < STEPS; i++) id = s.sample(pool[(i + r) & 15], { random: rnd, topK: 50 })
        return id
      },
    })
  }
  table(`one request (session + ${STEPS} steps, host top-k 50), V = ${vocabSize}: median per request, ratio to host`, bench(cases), 'host (no watermark)')
}
