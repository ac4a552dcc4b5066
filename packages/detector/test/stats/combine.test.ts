import { describe, expect, it } from 'vitest'
import { bonferroniLog, minPCorrectedLog } from '../../src/stats/combine.js'

describe('bonferroniLog', () => {
  it('adds ln m and caps at ln 1 = 0', () => {
    expect(bonferroniLog(Math.log(1e-6), 1000)).toBeCloseTo(Math.log(1e-3), 14)
    expect(bonferroniLog(Math.log(0.01), 1000)).toBe(0)
    expect(bonferroniLog(-5000, 1e9)).toBeCloseTo(-5000 + Math.log(1e9), 10)
    expect(bonferroniLog(-Infinity, 10)).toBe(-Infinity)
    expect(bonferroniLog(-3, 1)).toBe(-3)
  })

  it('rejects invalid input', () => {
    expect(() => bonferroniLog(0.1, 10)).toThrow(RangeError)
    expect(() => bonferroniLog(Number.NaN, 10)).toThrow(RangeError)
    expect(() => bonferroniLog(-1, 0.5)).toThrow(RangeError)
    expect(() => bonferroniLog(-1, Infinity)).toThrow(RangeError)
  })
})

describe('minPCorrectedLog', () => {
  it('corrects the smallest p-value for the number of looks', () => {
    // min ln p = −700 over 4 looks → −700 + ln 4.
    expect(minPCorrectedLog([-3, -700, -50, -0.1])).toBeCloseTo(-700 + Math.log(4), 12)
    expect(minPCorrectedLog([-0.1, -0.2])).toBe(0)
    expect(minPCorrectedLog([-12])).toBe(-12)
    expect(() => minPCorrectedLog([])).toThrow(RangeError)
    expect(() => minPCorrectedLog([-1, 0.5])).toThrow(RangeError)
  })
})
