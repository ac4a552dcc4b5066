import { describe, expect, it } from 'vitest'
import { batched } from '../src/batched.js'

describe('batched', () => {
  it('hands on every string in order, joined, once a batch reaches the limit or at flush', () => {
    const writes: string[] = []
    const b = batched((s) => writes.push(s), 10)
    b.flush()
    expect(writes, 'nothing gathered, nothing written').toEqual([])
    for (const s of ['abc', 'def', 'ghij', 'k', 'lmnopqrstuvw', 'x']) b.add(s)
    // 3 + 3 + 4 = 10 reaches the limit; 1 + 12 does; 'x' waits for the flush.
    expect(writes).toEqual(['abcdefghij', 'klmnopqrstuvw'])
    b.flush()
    b.flush()
    expect(writes).toEqual(['abcdefghij', 'klmnopqrstuvw', 'x'])
  })
})
