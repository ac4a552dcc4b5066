import { readFileSync } from 'node:fs'

const inputName = (path: string | undefined) => (path === undefined || path === '-' ? 'standard input' : path)

/**
 * Reads a whole text input: a file path, or standard input for `-` or no path.
 * Invalid UTF-8 is an input error rather than silently replaced bytes, since
 * replacement characters would change the tokens being tested.
 */
export function readTextInput(path: string | undefined): string {
  const name = inputName(path)
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
 * {@link readTextInput} for a text to test: an empty (or whitespace-only) input is an input
 * error, not a text without a watermark.
 */
export function readNonEmptyText(path: string | undefined): string {
  const text = readTextInput(path)
  if (text.trim() === '') throw new Error(`${inputName(path)} is empty: there is no text to test`)
  return text
}

/**
 * A text with no scorable (context, token) tuple carries no evidence either way: saying
 * "p = 1.00, not detected" would read as a clean verdict, so it is an input error too.
 */
export function requireEvidence(r: { tokens: number; scored: number }, path: string | undefined): void {
  if (r.scored === 0) {
    throw new Error(`${inputName(path)} is too short to test: its ${r.tokens === 1 ? '1 token gives' : `${r.tokens} tokens give`} no scorable (context, token) tuple`)
  }
}

/**
 * Reads an account registry: one account number per line (decimal), blank lines
 * and `#` comments ignored. Errors name the file and line, never its content.
 */
export function readRegistry(path: string): number[] {
  const text = readTextInput(path)
  const out: number[] = []
  const seen = new Set<number>()
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim()
    if (line === '') return
    if (!/^\d+$/.test(line) || !Number.isSafeInteger(Number(line))) {
      // The line is not shown: a mistaken file (the lab server's API-key map, say) would print its secrets.
      const hint = /^[{["]/.test(line) ? ' (this looks like JSON, e.g. an API-key map; a registry has one account number per line)' : ''
      throw new Error(`${path}:${i + 1}: not an account number${hint}`)
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

/**
 * Reads probe prompts: one per line in a text file, or, for `.jsonl`, one JSON
 * string or object with a string `prompt` per line. Blank lines are skipped;
 * errors name the file and line.
 */
export function readPrompts(path: string): string[] {
  const text = readTextInput(path)
  // Prompts go to a remote endpoint: a key file passed by mistake would send it the secret.
  if (/"format"\s*:\s*"tracemark-key"/.test(text)) throw new Error(`${path} is a tracemark key file, not prompts (nothing was sent)`)
  const jsonl = /\.jsonl$/i.test(path)
  const out: string[] = []
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return
    if (!jsonl) return void out.push(raw)
    let v: unknown
    try {
      v = JSON.parse(raw)
    } catch {
      throw new Error(`${path}:${i + 1}: not valid JSON`)
    }
    const prompt = typeof v === 'string' ? v : (v as { prompt?: unknown } | null)?.prompt
    if (typeof prompt !== 'string' || prompt === '') throw new Error(`${path}:${i + 1}: expected a JSON string or an object with a non-empty string "prompt"`)
    out.push(prompt)
  })
  if (out.length === 0) throw new Error(`${path}: no prompts`)
  return out
}

/**
 * Reads the answers served to an account (JSONL, one `{"prompt": ..., "answer": ...}`
 * per line, both non-empty strings), naming the file and line of a bad one.
 */
export function readServed(path: string): Array<{ prompt: string; answer: string }> {
  const out: Array<{ prompt: string; answer: string }> = []
  readTextInput(path).split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return
    let v: unknown
    try {
      v = JSON.parse(raw)
    } catch {
      throw new Error(`${path}:${i + 1}: not valid JSON`)
    }
    const o = v as { prompt?: unknown; answer?: unknown } | null
    if (typeof o?.prompt !== 'string' || typeof o.answer !== 'string' || o.answer === '') {
      throw new Error(`${path}:${i + 1}: expected an object with a string "prompt" and a non-empty string "answer"`)
    }
    out.push({ prompt: o.prompt, answer: o.answer })
  })
  if (out.length === 0) throw new Error(`${path}: no served answers`)
  return out
}
