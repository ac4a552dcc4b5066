import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Every module specifier reachable from `entry` through relative imports, with the file importing it. */
function importGraph(entry: string): Map<string, string> {
  const bare = new Map<string, string>()
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const src = readFileSync(file, 'utf8')
    for (const m of src.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm)) {
      const spec = m[1] ?? m[2]
      // Type-only imports vanish from the build.
      if (/^\s*(?:import|export)\s+type\s/.test(m[0])) continue
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')))
      else bare.set(spec, file)
    }
  }
  visit(entry)
  return bare
}

describe('package entries', () => {
  it('the main entry reaches no runtime library and no Node built-in: only @noble/hashes', () => {
    const bare = [...importGraph(join(pkg, 'src/index.ts')).keys()]
    expect(bare.length).toBeGreaterThan(0)
    for (const spec of bare) expect(spec).toMatch(/^@noble\/hashes\//)
  })

  it('each runtime adapter is its own subpath export; its library is an optional peer dependency', () => {
    const json = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'))
    expect(Object.keys(json.dependencies)).toEqual(['@noble/hashes'])
    for (const [sub, lib] of [['transformers', '@huggingface/transformers'], ['llama-cpp', 'node-llama-cpp']]) {
      expect(json.exports[`./${sub}`].import.default).toBe(`./dist/${sub}.js`)
      expect(json.exports[`./${sub}`].require.default).toBe(`./dist/${sub}.cjs`)
      expect(json.scripts.build).toContain(`--entry.${sub} src/runtimes/${sub}.ts`)
      expect(json.peerDependenciesMeta[lib].optional).toBe(true)
      expect(json.peerDependencies[lib]).toBeTruthy()
    }
    expect([...importGraph(join(pkg, 'src/runtimes/transformers.ts')).keys()]).toContain('@huggingface/transformers')
  })
})
