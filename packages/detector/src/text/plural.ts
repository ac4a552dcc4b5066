/** `1 document`, `2 documents`; `plural(1, 'entry', 'entries')` for irregular words. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}
