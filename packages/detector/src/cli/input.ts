import { readFileSync } from 'node:fs'

/**
 * Reads a whole text input: a file path, or standard input for `-` or no path.
 * Invalid UTF-8 is an input error rather than silently replaced bytes, since
 * replacement characters would change the tokens being tested.
 */
export function readTextInput(path: string | undefined): string {
  const name = path === undefined || path === '-' ? 'standard input' : path
  let bytes: Buffer
  try {
    bytes = readFileSync(path === undefined || path === '-' ? 0 : path)
  } catch (e) {
    throw new Error(`cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new Error(`${name} is not valid UTF-8 text`)
  }
}

/**
 * Reads an account registry: one account number per line (decimal), blank lines
 * and `#` comments ignored. Errors name the file and line.
 */
export function readRegistry(path: string): number[] {
  const text = readTextInput(path)
  const out: number[] = []
  const seen = new Set<number>()
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim()
    if (line === '') return
    if (!/^\d+$/.test(line) || !Number.isSafeInteger(Number(line))) {
      throw new Error(`${path}:${i + 1}: not an account number: "${line.slice(0, 40)}"`)
    }
    const a = Number(line)
    if (!seen.has(a)) {
      seen.add(a)
      out.push(a)
    }
  })
  if (out.length === 0) throw new Error(`${path}: no account numbers`)
  return out
}
