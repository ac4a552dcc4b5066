/** Strings gathered and handed on together: see {@link batched}. */
export interface Batched {
  add(s: string): void
  /** Hands on what was gathered, if anything. */
  flush(): void
}

/**
 * Gathers strings and hands them to `write` joined, once they reach `limit` UTF-16
 * units or at {@link Batched.flush}. A scan emits one line per document, and a
 * synchronous write per line (stdout to a file or a pipe) cost the main thread
 * more than serializing the line.
 */
export function batched(write: (s: string) => void, limit: number): Batched {
  let pending: string[] = []
  let size = 0
  const flush = () => {
    if (pending.length === 0) return
    const s = pending.join('')
    pending = []
    size = 0
    write(s)
  }
  return {
    add(s) {
      pending.push(s)
      size += s.length
      if (size >= limit) flush()
    },
    flush,
  }
}
