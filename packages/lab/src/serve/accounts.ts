import { readFileSync } from 'node:fs'

/**
 * Checks an API-key → account map. Errors name the entry by its position, never
 * an API key or a value: an inverted map (`{"1001": "sk-alice"}`) holds the keys
 * in the values.
 */
export function checkAccounts(map: unknown, where: string, maxAccount = Number.MAX_SAFE_INTEGER): Record<string, number> {
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw new Error(`${where}: must be a JSON object mapping API keys to account numbers, e.g. {"sk-alice": 1001}`)
  }
  const entries = Object.entries(map)
  if (entries.length === 0) throw new Error(`${where}: no API keys`)
  entries.forEach(([apiKey, account], i) => {
    if (apiKey.trim() === '') throw new Error(`${where}: entry ${i + 1} has an empty API key`)
    if (!Number.isSafeInteger(account) || (account as number) < 0) {
      throw new Error(`${where}: entry ${i + 1}: the account must be a non-negative integer (values not shown; the map is {"<api key>": <account number>})`)
    }
    if ((account as number) > maxAccount) throw new Error(`${where}: entry ${i + 1}: account ${account} does not fit the fingerprint payload (at most ${maxAccount})`)
  })
  return map as Record<string, number>
}

/** Reads an accounts file for `serve`; errors name the file and entry, never its content. */
export function readAccountsFile(path: string): Record<string, number> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  let map: unknown
  try {
    map = JSON.parse(text)
  } catch {
    // JSON.parse's own message quotes the text around the error: the API keys.
    throw new Error(`${path}: not valid JSON (expected an object mapping API keys to account numbers)`)
  }
  return checkAccounts(map, path)
}
