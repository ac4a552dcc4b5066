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
