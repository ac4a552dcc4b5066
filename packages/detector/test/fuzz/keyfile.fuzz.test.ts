/**
 * Property-based tests of the key-file parser (`parseKey`, and `readKeyFile` over it):
 * round trips, and on any damaged file an `invalid key file` error that names the field
 * and never shows the secret. Fixed seed, bounded runs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateKey, parseKey, serializeKey } from '@tracemark/watermark'
import { readKeyFile } from '../../src/cli/keyfile.js'

const RUNS = { seed: 14_002, numRuns: 200 }
const SCHEMES = ['kgw', 'gumbel', 'synthid', 'unigram'] as const

const secretArb = fc.uint8Array({ minLength: 32, maxLength: 32 })
const specArb = fc.record({
  scheme: fc.constantFrom(...SCHEMES),
  fingerprint: fc.option(fc.integer({ min: 1, max: 48 }).map((bits) => ({ bits })), { nil: undefined }),
})
const keyArb = fc.tuple(specArb, secretArb, fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true })).map(([spec, secret, created]) =>
  generateKey(spec.fingerprint ? spec : { scheme: spec.scheme }, { secret, created }),
)
const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64')

/** parseKey's contract on bad input: an Error saying "invalid key file", without the secret. */
function expectCleanRejection(text: string, secret: string): string {
  let message = ''
  try {
    parseKey(text)
  } catch (e) {
    expect(e).toBeInstanceOf(Error)
    message = (e as Error).message
  }
  expect(message).toMatch(/^invalid key file: /)
  expect(message).not.toContain(secret)
  expect(message).not.toContain(secret.slice(0, 12))
  return message
}

describe('parseKey (fuzzed)', () => {
  it('serializeKey then parseKey gives the key back', () => {
    fc.assert(
      fc.property(keyArb, (key) => {
        const back = parseKey(serializeKey(key))
        expect(back).toEqual(key)
        expect(serializeKey(back)).toBe(serializeKey(key))
      }),
      RUNS,
    )
  })

  it('arbitrary text and JSON are rejected with an invalid-key-file error, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.string({ unit: 'binary' })), (text) => {
        expectCleanRejection(text, 'no secret here')
      }),
      RUNS,
    )
  })

  it('a wrong value in any field is rejected naming that field, and never echoes the secret', () => {
    const wrong = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }))
    fc.assert(
      fc.property(keyArb, fc.constantFrom('format', 'version', 'keyId', 'created', 'secret', 'spec'), wrong, (key, field, value) => {
        const o = JSON.parse(serializeKey(key))
        const secret = o.secret as string
        // A value that cannot be valid: strings are expected everywhere but version/spec.
        if (field === 'version' && value === 1) value = 2
        o[field] = value
        const message = expectCleanRejection(JSON.stringify(o), secret)
        // A spec error names the spec or the sub-field at fault ("spec.scheme").
        if (field === 'spec') expect(message).toMatch(/"spec(\.\w+)?"|"keyId"/)
        else expect(message).toContain(`"${field}"`)
      }),
      RUNS,
    )
  })

  it('any single-character edit of the secret is caught', () => {
    fc.assert(
      fc.property(keyArb, fc.nat(), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'), (key, at, ch) => {
        const text = serializeKey(key)
        const secret = b64(key.secret)
        // The last two characters ("x=") carry padding bits an edit may leave the bytes unchanged by.
        const i = text.indexOf(secret) + (at % (secret.length - 2))
        if (text[i] === ch) return
        const edited = text.slice(0, i) + ch + text.slice(i + 1)
        const message = expectCleanRejection(edited, secret)
        expect(message).toMatch(/"keyId" does not match|"secret"/)
      }),
      RUNS,
    )
  })
})

describe('readKeyFile (fuzzed)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracemark-keyfuzz-'))
  it('errors name the file and never the secret', () => {
    fc.assert(
      fc.property(keyArb, fc.nat(), fc.nat({ max: 40 }), (key, at, cut) => {
        // A truncated or spliced file: common damage from copy-paste.
        const text = serializeKey(key)
        const i = at % text.length
        const damaged = text.slice(0, i) + text.slice(Math.min(text.length, i + 1 + cut))
        const path = join(dir, 'key.json')
        writeFileSync(path, damaged)
        let message = ''
        try {
          readKeyFile(path)
          return // a cut that left a valid key (e.g. whitespace only)
        } catch (e) {
          message = (e as Error).message
        }
        expect(message.startsWith(`${path}: invalid key file: `)).toBe(true)
        expect(message).not.toContain(b64(key.secret).slice(0, 12))
      }),
      RUNS,
    )
  })
})
