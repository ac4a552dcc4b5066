import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import onnxProto, { type onnx as Onnx } from 'onnx-proto'
import { seededRandom } from '@tracemark/watermark'
import { TINY_VOCAB_SIZE, tinyVocab, type TinyVocab } from './tiny-vocab.js'
import { gaussian } from './gaussian.js'

// onnx-proto is CommonJS: its namespace comes through the default export.
const { onnx } = onnxProto

/** Width of the tiny decoder's hidden state (and of its one-head KV cache). */
const HIDDEN = 32
const VERSION = 2

/**
 * Writes a tiny random-weight causal decoder in the layout transformers.js loads
 * (`config.json`, `tokenizer.json`, `onnx/model.onnx`) into a folder of `dir`
 * and returns it (`vocabSize` above the tiny 8,677 pads the vocabulary, for benchmarks
 * at a real model's logits length); an existing one is reused (the build is deterministic).
 *
 * The graph is written here as ONNX protobuf. One layer with a KV cache as
 * transformers.js drives it (`past_key_values.0.*` in, `present.0.*` out): the cache
 * holds the embeddings seen so far and each position mixes its own embedding with
 * the causal sum of the earlier ones (uniform attention), so the next-token
 * distribution depends on the whole prefix. Output logits are Gaussian with
 * std ≈ 1.25 over 8,677 ids: near-uniform, high entropy (≈ 8.0 nats measured) gibberish;
 * end-of-text is rare.
 */
export function buildTinyOnnxModel(dir: string, { seed = 1, vocabSize = TINY_VOCAB_SIZE } = {}): string {
  const out = join(dir, `tiny-llama-onnx-v${VERSION}-s${seed}-${vocabSize}`)
  if (existsSync(join(out, 'onnx', 'model.onnx'))) return out
  const tmp = `${out}.tmp-${process.pid}`
  mkdirSync(join(tmp, 'onnx'), { recursive: true })
  const vocab = tinyVocab(vocabSize)
  const V = vocab.tokens.length
  const rnd = seededRandom(seed)
  const embed = gaussian(V * HIDDEN, 1, rnd)
  // Hidden units are tanh outputs of variance ≈ 0.4, so std 0.35 gives logits of std ≈ 1.25.
  const head = gaussian(HIDDEN * V, 0.35, rnd)
  // End-of-text's logit is held at 0, the median: p ≈ 5e-5 a step (the others' mean
  // exp is e^(1.25²/2)), so completions run to their length (~1% stop within 200 tokens).
  for (let i = 0; i < HIDDEN; i++) head[i * V + vocab.eosId] = 0
  writeFileSync(join(tmp, 'onnx', 'model.onnx'), onnx.ModelProto.encode(decoderGraph(V, embed, head)).finish())
  const config = {
    model_type: 'llama',
    architectures: ['LlamaForCausalLM'],
    vocab_size: V,
    hidden_size: HIDDEN,
    num_hidden_layers: 1,
    num_attention_heads: 1,
    num_key_value_heads: 1,
    max_position_embeddings: 4096,
    bos_token_id: vocab.eosId,
    eos_token_id: vocab.eosId,
    'transformers.js_config': { dtype: 'fp32' },
  }
  writeFileSync(join(tmp, 'config.json'), JSON.stringify(config, null, 2))
  writeFileSync(join(tmp, 'generation_config.json'), JSON.stringify({ bos_token_id: vocab.eosId, eos_token_id: vocab.eosId }))
  writeFileSync(join(tmp, 'tokenizer.json'), JSON.stringify(tokenizerJson(vocab)))
  writeFileSync(
    join(tmp, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'GPT2Tokenizer',
      bos_token: vocab.eosText,
      eos_token: vocab.eosText,
      unk_token: vocab.eosText,
      add_bos_token: false,
      clean_up_tokenization_spaces: false,
      padding_side: 'left',
      model_max_length: 4096,
    }),
  )
  try {
    renameSync(tmp, out)
  } catch (e) {
    // A concurrent builder won the race: its identical copy stays.
    if (!existsSync(join(out, 'onnx', 'model.onnx'))) throw e
  }
  return out
}

/** The Hugging Face `tokenizer.json` of the tiny vocabulary (byte-level BPE as GPT-2). */
export function tokenizerJson(vocab: TinyVocab): object {
  const ids: Record<string, number> = {}
  vocab.tokens.forEach((t, i) => (ids[t] = i))
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: vocab.eosId, content: vocab.eosText, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab: ids,
      merges: vocab.merges,
    },
  }
}

const FLOAT = onnx.TensorProto.DataType.FLOAT
const INT64 = onnx.TensorProto.DataType.INT64

function floatTensor(name: string, dims: number[], data: Float32Array): Onnx.ITensorProto {
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
}

function int64Tensor(name: string, dims: number[], values: number[]): Onnx.ITensorProto {
  const data = BigInt64Array.from(values.map(BigInt))
  return { name, dims, dataType: INT64, rawData: new Uint8Array(data.buffer) }
}

function valueInfo(name: string, elemType: number, dims: (string | number)[]): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  }
}

function node(opType: string, input: string[], output: string[], attribute: Onnx.IAttributeProto[] = []): Onnx.INodeProto {
  return { opType, input, output, name: `${opType}_${output[0]}`, attribute }
}

function intAttr(name: string, i: number): Onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i }
}

function decoderGraph(V: number, embed: Float32Array, head: Float32Array): Onnx.IModelProto {
  const D = HIDDEN
  const cache = ['batch_size', 1, 'past_sequence_length', D]
  const present = ['batch_size', 1, 'total_sequence_length', D]
  const graph: Onnx.IGraphProto = {
    name: 'tiny_decoder',
    initializer: [
      floatTensor('embed', [V, D], embed),
      floatTensor('head', [D, V], head),
      int64Tensor('axis1', [1], [1]),
      int64Tensor('axis2', [1], [2]),
      int64Tensor('axis2_scalar', [], [2]),
      floatTensor('mix', [], Float32Array.of(0.3)),
    ],
    node: [
      node('Gather', ['embed', 'input_ids'], ['e'], [intAttr('axis', 0)]),
      node('Unsqueeze', ['e', 'axis1'], ['k']),
      node('Concat', ['past_key_values.0.key', 'k'], ['present.0.key'], [intAttr('axis', 2)]),
      node('Concat', ['past_key_values.0.value', 'k'], ['present.0.value'], [intAttr('axis', 2)]),
      // Sum over the cached positions plus the running sum over the new ones:
      // each new position sees exactly the tokens before it and itself.
      node('ReduceSum', ['past_key_values.0.key', 'axis2'], ['past_sum'], [intAttr('keepdims', 1)]),
      node('CumSum', ['k', 'axis2_scalar'], ['new_sum']),
      node('Add', ['new_sum', 'past_sum'], ['prefix4']),
      node('Squeeze', ['prefix4', 'axis1'], ['prefix']),
      node('Mul', ['prefix', 'mix'], ['mixed']),
      node('Add', ['e', 'mixed'], ['pre']),
      node('Tanh', ['pre'], ['h']),
      node('MatMul', ['h', 'head'], ['logits']),
    ],
    input: [
      valueInfo('input_ids', INT64, ['batch_size', 'sequence_length']),
      valueInfo('past_key_values.0.key', FLOAT, cache),
      valueInfo('past_key_values.0.value', FLOAT, cache),
    ],
    output: [
      valueInfo('logits', FLOAT, ['batch_size', 'sequence_length', V]),
      valueInfo('present.0.key', FLOAT, present),
      valueInfo('present.0.value', FLOAT, present),
    ],
  }
  return { irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'tracemark-lab', graph }
}
