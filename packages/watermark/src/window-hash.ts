import { siphashWords } from './siphash.js'
import { WINDOW_HASH_WASM } from './wasm/window-hash.wasm.js'

/**
 * SipHash-2-4 of every window `tokens[j .. j + h)`, j in [0, count), under the
 * SipHash key `key` (as {@link sipKeyFromBytes} gives it), written to `out` as
 * [lo, hi] at [2j, 2j + 1]: bit for bit what `siphashWords` gives per window.
 * Ids are taken as int32 (ToInt32, as `siphashWords` reads them).
 */
export type WindowHasher = (key: Uint32Array, tokens: ArrayLike<number>, h: number, count: number, out: Uint32Array) => void

/** The portable path: one `siphashWords` per window (~220 ns against ~24 ns for the WebAssembly one, measured). */
export function hashWindowsJs(key: Uint32Array, tokens: ArrayLike<number>, h: number, count: number, out: Uint32Array): void {
  const d = new Uint32Array(2)
  for (let j = 0; j < count; j++) {
    siphashWords(key, tokens, j, h, d)
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
 * A window hasher over `wasm` (the global `WebAssembly` by default): native 64-bit
 * SipHash, one call per document. Where WebAssembly is missing or may not compile
 * code at run time (a CSP without 'wasm-unsafe-eval', some edge runtimes), the
 * JS SipHash: same results, slower. The module is 452 bytes, so it is compiled
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
  return (key, tokens, h, count, out) => {
    const e = count > 0 ? load() : null
    if (!e) return hashWindowsJs(key, tokens, h, count, out)
    if (tokens.length < count + h - 1) throw new RangeError(`${count} windows of ${h} need ${count + h - 1} ids, got ${tokens.length}`)
    const len = tokens.length
    // Layout: the ids at 0, the digests after them (8-aligned).
    const dst = (4 * len + 7) & ~7
    const need = dst + 8 * count
    if (need > e.memory.buffer.byteLength) e.memory.grow(Math.ceil((need - e.memory.buffer.byteLength) / PAGE))
    // Typed-array conversion is ToInt32, as siphashWords' `| 0`.
    new Int32Array(e.memory.buffer, 0, len).set(tokens)
    e.hash(key[0], key[1], key[2], key[3], 0, count, h, dst)
    out.set(new Uint32Array(e.memory.buffer, dst, 2 * count))
  }
}

/** The process's window hasher (WebAssembly when available). */
export const hashWindows: WindowHasher = createWindowHasher()
