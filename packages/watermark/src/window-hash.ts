import { siphashWords } from './siphash.js'
import { WINDOW_HASH_WASM } from './wasm/window-hash.wasm.js'

/**
 * SipHash-2-4 of every window `tokens[start + j .. start + j + h)`, j in [0, count),
 * under the SipHash key `key` (as {@link sipKeyFromBytes} gives it), written to `out`
 * as [lo, hi] at [2j, 2j + 1]: bit for bit what `siphashWords` gives per window.
 * Ids are taken as int32 (ToInt32, as `siphashWords` reads them).
 */
export type WindowHasher = (key: Uint32Array, tokens: ArrayLike<number>, h: number, count: number, out: Uint32Array, start?: number) => void

/** The portable path: one `siphashWords` per window (~220 ns against ~24 ns for the WebAssembly one, measured). */
export function hashWindowsJs(key: Uint32Array, tokens: ArrayLike<number>, h: number, count: number, out: Uint32Array, start = 0): void {
  const d = new Uint32Array(2)
  for (let j = 0; j < count; j++) {
    siphashWords(key, tokens, start + j, h, d)
    out[2 * j] = d[0]
    out[2 * j + 1] = d[1]
  }
}

interface HashExports {
  memory: WebAssembly.Memory
  hash: (k0l: number, k0h: number, k1l: number, k1h: number, src: number, count: number, h: number, dst: number) => void
}

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

const PAGE = 65536
/**
 * Windows a scorer hashes and then reads at a time: a long document's digests take
 * 32 KiB (cache-resident) instead of 8 bytes per token.
 */
export const DIGEST_CHUNK = 1 << 12
/**
 * Windows hashed per call into the module. WebAssembly memory never shrinks, so
 * copying a whole hostile document in (13 M tokens: 156 MB) kept that memory for the
 * rest of the process; in chunks it stays under 200 KB.
 */
export const WASM_CHUNK = 1 << 14

/**
 * A window hasher over `wasm` (the global `WebAssembly` by default): native 64-bit
 * SipHash, one call per 16,384 windows. Where WebAssembly is missing or may not
 * compile code at run time (a CSP without 'wasm-unsafe-eval', some edge runtimes),
 * the JS SipHash: same results, slower. The module is 452 bytes, so it is compiled
 * synchronously on first use.
 */
export function createWindowHasher(wasm: typeof WebAssembly | undefined = globalThis.WebAssembly): WindowHasher {
  let ex: HashExports | null | undefined
  const load = (): HashExports | null => {
    if (ex !== undefined) return ex
    try {
      if (!wasm) throw new Error('no WebAssembly')
      const inst = new wasm.Instance(new wasm.Module(decodeBase64(WINDOW_HASH_WASM)), {})
      ex = inst.exports as unknown as HashExports
    } catch {
      ex = null
    }
    return ex
  }
  return (key, tokens, h, count, out, start = 0) => {
    const e = count > 0 ? load() : null
    if (!e) return hashWindowsJs(key, tokens, h, count, out, start)
    if (tokens.length < start + count + h - 1) {
      throw new RangeError(`${count} windows of ${h} from ${start} need ${start + count + h - 1} ids, got ${tokens.length}`)
    }
    // Layout: a chunk's ids at 0, its digests after them (8-aligned).
    const most = Math.min(count, WASM_CHUNK)
    const dst = (4 * (most + h) + 7) & ~7
    const need = dst + 8 * most
    if (need > e.memory.buffer.byteLength) e.memory.grow(Math.ceil((need - e.memory.buffer.byteLength) / PAGE))
    const buffer = e.memory.buffer
    const view = typeof (tokens as Partial<Int32Array>).subarray === 'function' ? (tokens as unknown as Int32Array) : null
    for (let c = 0; c < count; c += WASM_CHUNK) {
      const m = Math.min(WASM_CHUNK, count - c)
      const from = start + c
      const len = Math.max(0, m + h - 1)
      const ids = new Int32Array(buffer, 0, len)
      // Typed-array conversion is ToInt32, as siphashWords' `| 0`.
      if (view) ids.set(view.subarray(from, from + len))
      else for (let i = 0; i < len; i++) ids[i] = tokens[from + i]
      e.hash(key[0], key[1], key[2], key[3], 0, m, h, dst)
      out.set(new Uint32Array(buffer, dst, 2 * m), 2 * c)
    }
  }
}

/** The process's window hasher (WebAssembly when available). */
export const hashWindows: WindowHasher = createWindowHasher()
