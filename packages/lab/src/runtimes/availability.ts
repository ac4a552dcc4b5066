/**
 * Platforms whose runtime binaries ship inside the npm packages (onnxruntime-node's
 * `bin/napi-v6/<platform>/<arch>`, node-llama-cpp's `@node-llama-cpp/<platform>-<arch>`):
 * elsewhere the runtime would have to be built or downloaded, which this project never does.
 */
const PREBUILT: Record<'transformers' | 'llama-cpp', string[]> = {
  transformers: ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'],
  'llama-cpp': ['linux-x64', 'linux-arm64', 'linux-arm', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'],
}

/** Why `runtime` cannot run on this machine, or null when it can. */
export function runtimeUnavailable(runtime: 'transformers' | 'llama-cpp'): string | null {
  const here = `${process.platform}-${process.arch}`
  if (PREBUILT[runtime].includes(here)) return null
  return `${runtime} ships no prebuilt binary for ${here} (it has ${PREBUILT[runtime].join(', ')})`
}
