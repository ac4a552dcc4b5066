import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../src/random.js'
import { siphashWords, sipKeyFromBytes } from '../src/siphash.js'
import { createWindowHasher, hashWindows, hashWindowsJs, WASM_CHUNK, type WindowHasher } from '../src/window-hash.js'
import { compileWat, generatedModule, WASM_SOURCES } from '../scripts/wasm.js'
import { SIPHASH24_VECTORS } from './siphash-vectors.js'

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i)

/** WebAssembly whose compiler is refused, as under a CSP without 'wasm-unsafe-eval'. */
const refusing = {
  ...WebAssembly,
  Module: function () {
    throw new WebAssembly.CompileError('Wasm code generation disallowed by embedder')
  },
} as unknown as typeof WebAssembly

const hashers: Array<[string, WindowHasher]> = [
  ['WebAssembly', hashWindows],
  ['JS fallback (no WebAssembly)', createWindowHasher(undefined)],
  ['JS fallback (compilation refused)', createWindowHasher(refusing)],
]

describe('window hashing', () => {
  it('the generated module is the compiled .wat, byte for byte', async () => {
    for (const s of WASM_SOURCES) {
      expect(readFileSync(s.ts, 'utf8'), `${s.ts} is stale: run pnpm -F @tracemark/watermark build:wasm`).toBe(
        generatedModule(s.name, 'window-hash.wat', await compileWat(s.wat)),
      )
    }
  })

  it('uses WebAssembly when it is there', () => {
    let compiled = 0
    let instantiated = 0
    // The namespace's members are not enumerable: a spread copies none of them.
    const counting = {
      Module: function (bytes: Uint8Array<ArrayBuffer>) {
        compiled++
        return new WebAssembly.Module(bytes)
      },
      Instance: function (m: WebAssembly.Module, imports: WebAssembly.Imports) {
        instantiated++
        return new WebAssembly.Instance(m, imports)
      },
    } as unknown as typeof WebAssembly
    const hash = createWindowHasher(counting)
    const out = new Uint32Array(4)
    hash(sipKeyFromBytes(KEY), [1, 2, 3], 2, 2, out)
    hash(sipKeyFromBytes(KEY), [1, 2, 3], 2, 2, out)
    expect(compiled).toBe(1) // compiled once, on first use
    expect(instantiated).toBe(1)
  })

  it('keeps its WebAssembly memory to one chunk, however long the text', () => {
    // WebAssembly memory never shrinks: a whole 13 M-token document copied in once
    // would stay resident for the life of the process.
    const memories: WebAssembly.Memory[] = []
    const watching = {
      Module: WebAssembly.Module,
      Instance: function (m: WebAssembly.Module, imports: WebAssembly.Imports) {
        const inst = new WebAssembly.Instance(m, imports)
        memories.push(inst.exports.memory as WebAssembly.Memory)
        return inst
      },
    } as unknown as typeof WebAssembly
    const hash = createWindowHasher(watching)
    const h = 4
    const ids = Uint32Array.from({ length: 3 * WASM_CHUNK + 100 }, (_, i) => (i * 2654435761) % 200_019)
    const count = ids.length - h + 1
    const out = new Uint32Array(2 * count)
    hash(sipKeyFromBytes(KEY), ids, h, count, out)
    // One chunk: its ids (8-aligned) and its 8-byte digests, in 64 KiB pages.
    const pages = Math.ceil((((4 * (WASM_CHUNK + h) + 7) & ~7) + 8 * WASM_CHUNK) / 65536)
    expect(memories).toHaveLength(1)
    expect(memories[0].buffer.byteLength).toBe(pages * 65536)
    const want = new Uint32Array(2 * count)
    hashWindowsJs(sipKeyFromBytes(KEY), ids, h, count, want)
    expect(out).toEqual(want)
  })

  for (const [name, hash] of hashers) {
    describe(name, () => {
      it('matches the SipHash-2-4 reference vectors of every whole-word length (0..60 bytes)', () => {
        const key = sipKeyFromBytes(KEY)
        const out = new Uint32Array(2)
        for (let len = 0; len < 64; len += 4) {
          const bytes = Uint8Array.from({ length: len }, (_, i) => i)
          const words = new Uint32Array(bytes.buffer) // the host is little-endian (x86, ARM)
          hash(key, words, len / 4, 1, out)
          const got = new Uint8Array(out.buffer.slice(0))
          expect(Array.from(got, (b) => b.toString(16).padStart(2, '0')).join(''), `length ${len}`).toBe(SIPHASH24_VECTORS[len])
        }
      })

      it('equals siphashWords on every window of random id arrays, any width, any input type', () => {
        const rnd = seededRandom(12)
        for (let trial = 0; trial < 40; trial++) {
          const key = Uint32Array.from({ length: 4 }, () => Math.floor(rnd() * 2 ** 32))
          const h = 1 + (trial % 9)
          // Long arrays make the WebAssembly memory grow (64 KiB to start with).
          const len = h + (trial === 7 ? 100_000 : Math.floor(rnd() * 600))
          const ids = Array.from({ length: len }, () => Math.floor(rnd() * (trial % 2 ? 2 ** 32 : 200_019)))
          const input = trial % 3 === 0 ? ids : trial % 3 === 1 ? Uint32Array.from(ids) : Int32Array.from(ids)
          const count = len - h + 1
          const out = new Uint32Array(2 * count)
          hash(key, input, h, count, out)
          const want = new Uint32Array(2 * count)
          const d = new Uint32Array(2)
          for (let j = 0; j < count; j++) {
            siphashWords(key, input, j, h, d)
            want[2 * j] = d[0]
            want[2 * j + 1] = d[1]
          }
          expect(out, `trial ${trial}, h ${h}, ${len} ids`).toEqual(want)
        }
      })

      it('starts at any offset, on arrays and typed arrays, across chunk boundaries', () => {
        const rnd = seededRandom(5)
        const key = Uint32Array.from({ length: 4 }, () => Math.floor(rnd() * 2 ** 32))
        const ids = Array.from({ length: WASM_CHUNK + 50 }, () => Math.floor(rnd() * 200_019))
        for (const input of [ids, Uint32Array.from(ids)]) {
          for (const [h, start, count] of [[4, 0, 1], [4, 7, 30], [3, 20, WASM_CHUNK + 10], [1, WASM_CHUNK + 49, 1]]) {
            const out = new Uint32Array(2 * count)
            hash(key, input, h, count, out, start)
            const d = new Uint32Array(2)
            for (const j of [0, count >> 1, count - 1]) {
              siphashWords(key, input, start + j, h, d)
              expect([out[2 * j], out[2 * j + 1]], `h ${h}, start ${start}, window ${j}`).toEqual([d[0], d[1]])
            }
          }
        }
        if (hash === hashWindows) expect(() => hash(key, ids, 4, 48, new Uint32Array(96), WASM_CHUNK)).toThrow(/need 16435 ids, got 16434/)
      })

      it('reads ids as int32, as siphashWords does', () => {
        const key = sipKeyFromBytes(KEY)
        const odd = [-1, 2 ** 32 + 5, 3.7, Number.NaN, 2 ** 31]
        const a = new Uint32Array(2 * 2), b = new Uint32Array(2 * 2)
        hash(key, odd, 4, 2, a)
        hashWindowsJs(key, odd, 4, 2, b)
        expect(a).toEqual(b)
      })

      it('hashes nothing for zero windows and refuses too few ids', () => {
        const out = new Uint32Array(2).fill(7)
        hash(sipKeyFromBytes(KEY), [], 4, 0, out)
        expect(Array.from(out)).toEqual([7, 7])
        if (hash === hashWindows) expect(() => hash(sipKeyFromBytes(KEY), [1, 2], 4, 1, out)).toThrow(/need 4 ids, got 2/)
      })
    })
  }
})
