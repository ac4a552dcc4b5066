import { describe, expect, it } from 'vitest'
import { generateKey, parseKey, resolveSpec, serializeKey } from '../src/index.js'
import { deriveSubkey } from '../src/keys.js'
import { toBase64, toHex } from '../src/encoding.js'

const secret = Uint8Array.from({ length: 32 }, (_, i) => 200 - i)

function edit(text: string, f: (o: Record<string, any>) => void): string {
  const o = JSON.parse(text)
  f(o)
  return JSON.stringify(o)
}

describe('keys', () => {
  it('round-trips through the key file', () => {
    const key = generateKey({ scheme: 'synthid', depth: 8 })
    const back = parseKey(serializeKey(key))
    expect(back.keyId).toBe(key.keyId)
    expect(back.spec).toEqual(key.spec)
    expect(back.created).toBe(key.created)
    expect(Array.from(back.secret)).toEqual(Array.from(key.secret))
  })

  it('fills defaults and keeps explicit parameters', () => {
    const key = generateKey({ scheme: 'kgw', gamma: 0.5 })
    expect(key.spec).toEqual({ scheme: 'kgw', gamma: 0.5, delta: 2, h: 4, seeding: 'self', tokenizer: 'cl100k_base', vocabSize: 100277 })
  })

  it('gives a different keyId to a different secret or spec, the same to the same', () => {
    const a = generateKey({ scheme: 'kgw' }, { secret })
    expect(generateKey({ scheme: 'kgw' }, { secret }).keyId).toBe(a.keyId)
    expect(generateKey({ scheme: 'kgw', delta: 3 }, { secret }).keyId).not.toBe(a.keyId)
    expect(generateKey({ scheme: 'kgw' }).keyId).not.toBe(a.keyId)
    expect(a.keyId).toMatch(/^tm1-[0-9a-f]{32}$/)
  })

  it('rejects a key file whose spec, secret or keyId was edited', () => {
    const text = serializeKey(generateKey({ scheme: 'kgw' }, { secret }))
    const other = toBase64(Uint8Array.from({ length: 32 }, () => 7))
    expect(() => parseKey(edit(text, (o) => (o.spec.delta = 5)))).toThrow(/keyId.*does not match/)
    expect(() => parseKey(edit(text, (o) => (o.secret = other)))).toThrow(/keyId.*does not match/)
    expect(() => parseKey(edit(text, (o) => (o.keyId = 'tm1-00000000000000000000000000000000')))).toThrow(/does not match/)
  })

  it('names the field at fault in malformed files', () => {
    const text = serializeKey(generateKey({ scheme: 'gumbel' }, { secret }))
    expect(() => parseKey('{')).toThrow(/not JSON/)
    expect(() => parseKey('[]')).toThrow(/not a JSON object/)
    expect(() => parseKey(edit(text, (o) => (o.format = 'x')))).toThrow(/"format"/)
    expect(() => parseKey(edit(text, (o) => (o.version = 2)))).toThrow(/"version"/)
    expect(() => parseKey(edit(text, (o) => delete o.secret))).toThrow(/"secret" is missing/)
    expect(() => parseKey(edit(text, (o) => (o.secret = 'not base64!')))).toThrow(/"secret" must be 32 bytes/)
    expect(() => parseKey(edit(text, (o) => (o.spec.h = 0)))).toThrow('invalid key file: "spec.h" must be in [1, 64]')
    // An unknown field is not named: its name is text from the file, like a value.
    expect(() => parseKey(edit(text, (o) => (o.spec.bogus = 1)))).toThrow('invalid key file: "spec" has a field that is not a parameter of scheme gumbel')
    expect(() => parseKey(edit(text, (o) => delete o.spec.h))).toThrow(/incomplete/)
    expect(() => parseKey(edit(text, (o) => (o.created = 'yesterday')))).toThrow(/"created"/)
  })

  it('never puts the secret into an error message', () => {
    const key = generateKey({ scheme: 'kgw' }, { secret })
    const text = serializeKey(key)
    const b64 = toBase64(secret)
    const attempts = [
      edit(text, (o) => (o.spec.gamma = 2)),
      edit(text, (o) => (o.keyId = 'x')),
      edit(text, (o) => (o.secret = `${o.secret}AAAA`)),
      edit(text, (o) => (o.format = o.secret)),
      text.slice(0, -5),
    ]
    for (const t of attempts) {
      let message = ''
      try {
        parseKey(t)
      } catch (e) {
        message = (e as Error).message
      }
      expect(message).not.toBe('')
      expect(message).not.toContain(b64)
      expect(message).not.toContain(b64.slice(0, 12))
      expect(message).not.toContain(toHex(secret).slice(0, 16))
    }
  })

  it('rejects invalid parameters by name', () => {
    expect(() => resolveSpec({ scheme: 'kgw', gamma: 1.5 })).toThrow(/gamma must be in/)
    expect(() => resolveSpec({ scheme: 'kgw', seeding: 'right' })).toThrow(/seeding/)
    expect(() => resolveSpec({ scheme: 'synthid', depth: 33 })).toThrow(/depth/)
    expect(() => resolveSpec({ scheme: 'nope' as 'kgw' })).toThrow(/scheme must be one of/)
    expect(() => resolveSpec({ scheme: 'gumbel', gamma: 0.5 })).toThrow(/gamma is not a parameter of scheme gumbel/)
  })

  it('derives distinct subkeys per purpose and per key', () => {
    const a = generateKey({ scheme: 'kgw' }, { secret })
    const b = generateKey({ scheme: 'kgw', delta: 1 }, { secret })
    const hex = (k: typeof a, p: string) => toHex(deriveSubkey(k, p))
    expect(hex(a, 'window-prf')).not.toBe(hex(a, 'token-table'))
    expect(hex(a, 'window-prf')).not.toBe(hex(b, 'window-prf'))
    expect(hex(a, 'window-prf')).toBe(hex(a, 'window-prf'))
  })
})
