import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { seededRandom } from '@tracemark/watermark'
import { gaussian } from './gaussian.js'
import { TINY_VOCAB_SIZE, tinyVocab } from './tiny-vocab.js'

const VERSION = 2
/** Llama dimensions: one block, 4 heads of 16, SwiGLU of 128. */
const EMBD = 64
const HEADS = 4
const FF = 128

/**
 * Writes a tiny random-weight Llama model as GGUF v3 (the file format llama.cpp
 * loads, written here byte by byte) into `dir` and returns its path; an existing
 * file is reused (the build is deterministic). Its vocabulary is the tiny
 * byte-level BPE one (`tokenizer.ggml.model = gpt2`, as GPT-2 and Llama 3), padded
 * to `vocabSize` when that is larger (benchmarks at a real model's logits length).
 * The output matrix is scaled so that logits over the unit-RMS final hidden state
 * have std ≈ 1.25: near-uniform, high-entropy (≈ 8.3 nats) gibberish; end-of-text is rare.
 */
export function buildTinyGgufModel(dir: string, { seed = 1, vocabSize = TINY_VOCAB_SIZE } = {}): string {
  const out = join(dir, `tiny-llama-v${VERSION}-s${seed}-${vocabSize}.gguf`)
  if (existsSync(out)) return out
  mkdirSync(dir, { recursive: true })
  const vocab = tinyVocab(vocabSize)
  const V = vocab.tokens.length
  const rnd = seededRandom(seed)
  const w = (n: number, std: number) => gaussian(n, std, rnd)
  const ones = (n: number) => new Float32Array(n).fill(1)
  const proj = 1 / Math.sqrt(EMBD)
  // ggml lists dimensions innermost first: a weight [in, out] maps `in` to `out`.
  const tensors: [string, number[], Float32Array][] = [
    ['token_embd.weight', [EMBD, V], w(EMBD * V, 1)],
    ['blk.0.attn_norm.weight', [EMBD], ones(EMBD)],
    ['blk.0.attn_q.weight', [EMBD, EMBD], w(EMBD * EMBD, proj)],
    ['blk.0.attn_k.weight', [EMBD, EMBD], w(EMBD * EMBD, proj)],
    ['blk.0.attn_v.weight', [EMBD, EMBD], w(EMBD * EMBD, proj)],
    ['blk.0.attn_output.weight', [EMBD, EMBD], w(EMBD * EMBD, proj)],
    ['blk.0.ffn_norm.weight', [EMBD], ones(EMBD)],
    ['blk.0.ffn_gate.weight', [EMBD, FF], w(EMBD * FF, proj)],
    ['blk.0.ffn_up.weight', [EMBD, FF], w(EMBD * FF, proj)],
    ['blk.0.ffn_down.weight', [FF, EMBD], w(FF * EMBD, 1 / Math.sqrt(FF))],
    ['output_norm.weight', [EMBD], ones(EMBD)],
    ['output.weight', [EMBD, V], eosAtZero(w(EMBD * V, 1.25 * proj), vocab.eosId)],
  ]
  const meta: [string, Value][] = [
    ['general.architecture', str('llama')],
    ['general.name', str('tracemark tiny llama')],
    ['llama.context_length', u32(4096)],
    ['llama.embedding_length', u32(EMBD)],
    ['llama.block_count', u32(1)],
    ['llama.feed_forward_length', u32(FF)],
    ['llama.attention.head_count', u32(HEADS)],
    ['llama.attention.head_count_kv', u32(HEADS)],
    ['llama.rope.dimension_count', u32(EMBD / HEADS)],
    ['llama.attention.layer_norm_rms_epsilon', f32(1e-5)],
    ['llama.vocab_size', u32(V)],
    ['tokenizer.ggml.model', str('gpt2')],
    ['tokenizer.ggml.pre', str('gpt-2')],
    ['tokenizer.ggml.tokens', { type: ARRAY, items: STRING, value: vocab.tokens }],
    ['tokenizer.ggml.token_type', { type: ARRAY, items: INT32, value: vocab.tokens.map((_, i) => (i === vocab.eosId ? 3 : 1)) }],
    ['tokenizer.ggml.merges', { type: ARRAY, items: STRING, value: vocab.merges }],
    ['tokenizer.ggml.bos_token_id', u32(vocab.eosId)],
    ['tokenizer.ggml.eos_token_id', u32(vocab.eosId)],
    ['tokenizer.ggml.add_bos_token', { type: BOOL, value: false }],
  ]
  const tmp = `${out}.tmp-${process.pid}`
  writeFileSync(tmp, encodeGguf(meta, tensors))
  renameSync(tmp, out)
  return out
}

/**
 * Holds end-of-text's logit at 0, the median: p ≈ 5e-5 a step (the others' mean exp
 * is e^(1.25²/2)), so completions run to their length (~1% stop within 200 tokens).
 */
function eosAtZero(output: Float32Array, eos: number): Float32Array {
  output.fill(0, eos * EMBD, (eos + 1) * EMBD)
  return output
}

// GGUF value types.
const UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9
const ALIGN = 32

type Value =
  | { type: typeof UINT32 | typeof INT32 | typeof FLOAT32; value: number }
  | { type: typeof BOOL; value: boolean }
  | { type: typeof STRING; value: string }
  | { type: typeof ARRAY; items: typeof STRING; value: string[] }
  | { type: typeof ARRAY; items: typeof INT32; value: number[] }

const str = (value: string): Value => ({ type: STRING, value })
const u32 = (value: number): Value => ({ type: UINT32, value })
const f32 = (value: number): Value => ({ type: FLOAT32, value })

/** A growable little-endian byte writer. */
function writer() {
  let buf = new Uint8Array(1 << 16)
  let view = new DataView(buf.buffer)
  let n = 0
  const room = (k: number) => {
    if (n + k <= buf.length) return
    const grown = new Uint8Array(Math.max(buf.length * 2, n + k))
    grown.set(buf)
    buf = grown
    view = new DataView(buf.buffer)
  }
  const utf8 = new TextEncoder()
  const w = {
    u32(v: number) { room(4); view.setUint32(n, v, true); n += 4 },
    i32(v: number) { room(4); view.setInt32(n, v, true); n += 4 },
    u64(v: number) { room(8); view.setBigUint64(n, BigInt(v), true); n += 8 },
    f32(v: number) { room(4); view.setFloat32(n, v, true); n += 4 },
    u8(v: number) { room(1); buf[n++] = v },
    bytes(b: Uint8Array) { room(b.length); buf.set(b, n); n += b.length },
    str(s: string) { const b = utf8.encode(s); w.u64(b.length); w.bytes(b) },
    pad() { while (n % ALIGN !== 0) w.u8(0) },
    get length() { return n },
    done: () => buf.subarray(0, n),
  }
  return w
}

function encodeGguf(meta: [string, Value][], tensors: [string, number[], Float32Array][]): Uint8Array {
  const w = writer()
  w.bytes(new TextEncoder().encode('GGUF'))
  w.u32(3)
  w.u64(tensors.length)
  w.u64(meta.length)
  for (const [k, v] of meta) {
    w.str(k)
    w.u32(v.type)
    if (v.type === ARRAY) {
      w.u32(v.items)
      w.u64(v.value.length)
      if (v.items === STRING) for (const s of v.value as string[]) w.str(s)
      else for (const x of v.value as number[]) w.i32(x)
    } else if (v.type === STRING) w.str(v.value)
    else if (v.type === BOOL) w.u8(v.value ? 1 : 0)
    else if (v.type === FLOAT32) w.f32(v.value)
    else if (v.type === INT32) w.i32(v.value)
    else w.u32(v.value)
  }
  let offset = 0
  for (const [name, dims, data] of tensors) {
    w.str(name)
    w.u32(dims.length)
    for (const d of dims) w.u64(d)
    w.u32(0) // GGML_TYPE_F32
    w.u64(offset)
    offset += Math.ceil(data.byteLength / ALIGN) * ALIGN
  }
  w.pad()
  for (const [, , data] of tensors) {
    w.bytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    w.pad()
  }
  return w.done()
}
