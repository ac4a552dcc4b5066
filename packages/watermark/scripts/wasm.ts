/**
 * Compiles the WebAssembly text sources under src/wasm/ into TypeScript modules
 * that carry the bytes as base64, so the package needs no .wasm file, loader or
 * bundler plugin in a browser or an edge worker. The generated module is checked
 * in; `wasm.test.ts` recompiles and compares, so it is never an opaque blob.
 *
 * `pnpm -F @tracemark/watermark build:wasm` rewrites them.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import wabt from 'wabt'

/** The WAT sources and the generated module of each. */
export const WASM_SOURCES = [
  {
    wat: fileURLToPath(new URL('../src/wasm/window-hash.wat', import.meta.url)),
    ts: fileURLToPath(new URL('../src/wasm/window-hash.wasm.ts', import.meta.url)),
    name: 'WINDOW_HASH_WASM',
  },
]

/** The binary of a WAT file (no debug names: the output depends on the code alone). */
export async function compileWat(path: string): Promise<Uint8Array> {
  const w = await wabt()
  const mod = w.parseWat(path, readFileSync(path, 'utf8'))
  try {
    mod.validate()
    return mod.toBinary({ log: false, write_debug_names: false }).buffer
  } finally {
    mod.destroy()
  }
}

/** The text of the generated TypeScript module holding `bytes`. */
export function generatedModule(name: string, watFile: string, bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64')
  const lines = b64.match(/.{1,100}/g) ?? ['']
  return [
    `// Generated from ${watFile} by packages/watermark/scripts/wasm.ts. Do not edit:`,
    '// run `pnpm -F @tracemark/watermark build:wasm` (a test checks this file matches its source).',
    `export const ${name} =`,
    lines.map((l) => `  '${l}'`).join(' +\n'),
    '',
  ].join('\n')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const s of WASM_SOURCES) {
    const bytes = await compileWat(s.wat)
    writeFileSync(s.ts, generatedModule(s.name, 'window-hash.wat', bytes))
    console.log(`${s.ts}: ${bytes.length} bytes`)
  }
}
