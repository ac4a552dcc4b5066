import { describe, expect, it } from 'vitest'
import {
  log1mExp,
  log1pExp,
  logAddExp,
  logBeta,
  logGamma,
  logRegIncBeta,
  logRegIncBetaUpper,
  logRegIncGammaLower,
  logRegIncGammaUpper,
  logSumExp,
} from '../../src/stats/special.js'
import { bd0, logBinomialPmfRaw, logPoissonPmfRaw, stirlerr } from '../../src/stats/loader.js'
import { expectRelClose } from './helpers.js'

// Reference values: mpmath 1.3.0, mp.dps=80, scripts/reference-values.py (section "special").

// [x, mpmath.loggamma(x)]
const LOG_GAMMA: [number, number][] = [
  [1e-300, 690.77552789821371],
  [1e-10, 23.025850929882735],
  [0.1, 2.2527126517342059],
  [0.5, 0.57236494292470009],
  [0.9, 0.066376239734742954],
  [1.5, -0.12078223763524522],
  [2.5, 0.28468287047291916],
  [3.7, 1.4280723266653881],
  [7.0, 6.579251212010101],
  [14.9, 24.924132002217278],
  [15.1, 25.458999750992663],
  [35.5, 90.354930265818388],
  [100.5, 361.43554046777762],
  [777.25, 4393.5322172620713],
  [12345.6, 103959.18506616846],
  [1000000000.0, 19723265827.503717],
  [1000000000000000.0, 33538776394910669.0],
]

// [a, b, mpmath.log(mpmath.beta(a, b))]
const LOG_BETA: [number, number, number][] = [
  [0.5, 0.5, 1.1447298858494002],
  [1000000000.0, 0.5, -9.7892679754235055],
  [3.3, 1000000.0, -44.604090058383826],
  [1e-5, 2.0, 11.512915465020228],
  [100000000.0, 100000001.0, -138629444.74996449],
  [20.0, 30.0, -33.968820791977383],
]

// [a, b, x, ln I_x(a,b), ln(1 − I_x(a,b))]: mpmath.betainc(a, b, 0, x, regularized=True)
// and mpmath.betainc(a, b, x, 1, regularized=True).
const INC_BETA: [number, number, number, number, number][] = [
  [0.5, 0.5, 0.3, -0.99693121102077808, -0.46046545391587117],
  [2.5, 7.25, 0.9, -9.1227155242994725e-7, -13.907328592470603],
  [1000.5, 2000.0, 0.2, -150.10116241923965, -6.4847529300908919e-66],
  [30.5, 1e3, 1e-3, -76.893028298107334, -4.0344293378997323e-34],
  [5.0, 3.0, 0.999, -3.4895126538850014e-8, -17.170918675656896],
  [1.0, 100.0, 0.019, -0.15883051411665701, -1.9182819416773968],
  [100.0, 1.0, 0.5, -69.314718055994531, -7.8886090522101181e-31],
]

describe('log-space helpers', () => {
  it('log1mExp keeps its digits near 0 and far below', () => {
    // ln(1 − e^−ε) = ln ε − ε/2 + O(ε²): naive Math.log(1 − Math.exp(−1e-20)) is −Infinity.
    expectRelClose(log1mExp(-1e-20), Math.log(1e-20) - 5e-21, 1e-15)
    // ln(1 − e^−50) = −e^−50 − e^−100/2: naive code returns 0 here.
    expectRelClose(log1mExp(-50), -Math.exp(-50), 1e-15)
    expectRelClose(log1mExp(-Math.LN2), Math.log(0.5), 1e-15)
    expect(log1mExp(0)).toBe(-Infinity)
    expect(log1mExp(-Infinity)).toBe(0)
    expect(() => log1mExp(1e-300)).toThrow(RangeError)
    expect(() => log1mExp(Number.NaN)).toThrow(RangeError)
  })

  it('log1pExp and logAddExp neither overflow nor lose small terms', () => {
    expect(log1pExp(1000)).toBe(1000)
    expectRelClose(log1pExp(-40), Math.exp(-40), 1e-15)
    expectRelClose(log1pExp(0), Math.LN2, 1e-15)
    expectRelClose(logAddExp(-1000, -1000), -1000 + Math.LN2, 1e-15)
    expect(logAddExp(-Infinity, -3)).toBe(-3)
    expect(logAddExp(-Infinity, -Infinity)).toBe(-Infinity)
  })

  it('logSumExp handles far-apart, tiny and empty inputs', () => {
    expectRelClose(logSumExp([-2000, -2000, -2000]), -2000 + Math.log(3), 1e-15)
    // e^−1e-30 + … : the result is ln(1 + 1e-20) ≈ 1e-20, which the log1p form resolves.
    expectRelClose(logSumExp([0, Math.log(1e-20)]), 1e-20, 1e-14)
    expect(logSumExp([])).toBe(-Infinity)
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity)
    expect(() => logSumExp([0, Number.NaN])).toThrow(RangeError)
  })
})

describe('logGamma / logBeta', () => {
  it.each(LOG_GAMMA)('logGamma(%s) matches mpmath', (x, want) => {
    expectRelClose(logGamma(x), want, 1e-14, `logGamma(${x})`)
  })

  it('is exact on factorials and near its zeros at 1 and 2 in absolute terms', () => {
    let lf = 0
    for (let n = 1; n <= 30; n++) {
      expect(Math.abs(logGamma(n + 1) - (lf += Math.log(n)))).toBeLessThan(1e-13 * Math.max(1, lf))
    }
    expect(Math.abs(logGamma(1))).toBeLessThan(1e-15)
    expect(Math.abs(logGamma(2))).toBeLessThan(1e-15)
    expect(() => logGamma(0)).toThrow(RangeError)
    expect(() => logGamma(-1)).toThrow(RangeError)
  })

  it.each(LOG_BETA)('logBeta(%s, %s) matches mpmath', (a, b, want) => {
    expectRelClose(logBeta(a, b), want, 1e-14, `logBeta(${a}, ${b})`)
  })

  it('Loader pieces agree with their definitions where these are well conditioned', () => {
    // stirlerr(n) = lnΓ(n+1) − (n+½)ln n + n − ln√(2π); evaluated literally, the
    // definition is only good to a few ulps of its largest term, hence the tolerance.
    for (const n of [0.5, 1, 2.5, 7, 14.999, 15.001, 40]) {
      const terms = [logGamma(n + 1), -(n + 0.5) * Math.log(n), n, -0.5 * Math.log(2 * Math.PI)]
      const def = terms.reduce((s, t) => s + t, 0)
      const scale = terms.reduce((s, t) => s + Math.abs(t), 0)
      expect(Math.abs(stirlerr(n) - def)).toBeLessThan(1e-15 * scale)
    }
    expect(bd0(10, 10)).toBe(0)
    expectRelClose(bd0(30, 10), 30 * Math.log(3) - 20, 1e-15)
    expect(bd0(0, 5)).toBe(5)
    // Binomial(3, ½) at 1 success: 3/8.  Poisson(2) at 3: 2³e⁻²/3!.
    expectRelClose(logBinomialPmfRaw(1, 2, 0.5, 0.5), Math.log(3 / 8), 1e-15)
    expectRelClose(logPoissonPmfRaw(3, 2), Math.log((8 * Math.exp(-2)) / 6), 1e-15)
  })
})

describe('regularized incomplete beta', () => {
  it.each(INC_BETA)('I_x(%s, %s) at x = %s, both sides, matches mpmath', (a, b, x, lower, upper) => {
    expectRelClose(logRegIncBeta(a, b, x), lower, 1e-12, 'lower')
    expectRelClose(logRegIncBetaUpper(a, b, x), upper, 1e-12, 'upper')
  })

  it('matches closed forms: I_x(1, b) = 1 − (1−x)^b, I_x(a, 1) = x^a, I_x(½, ½) = (2/π) asin √x', () => {
    for (const x of [1e-9, 0.01, 0.3, 0.77, 0.999]) {
      expectRelClose(logRegIncBetaUpper(1, 40, x), 40 * Math.log1p(-x), 1e-13)
      expectRelClose(logRegIncBeta(25, 1, x), 25 * Math.log(x), 1e-13)
      expectRelClose(logRegIncBeta(0.5, 0.5, x), Math.log((2 / Math.PI) * Math.asin(Math.sqrt(x))), 1e-13)
    }
  })

  it('satisfies the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) and has exact end points', () => {
    for (const [a, b, x] of [[3, 7, 0.25], [2.5, 0.7, 0.5], [400, 600, 0.375], [1e6, 3e6, 0.25]]) {
      expectRelClose(logRegIncBeta(a, b, x), logRegIncBetaUpper(b, a, 1 - x), 1e-13)
    }
    expect(logRegIncBeta(2, 3, 0)).toBe(-Infinity)
    expect(logRegIncBeta(2, 3, 1)).toBe(0)
    expect(logRegIncBetaUpper(2, 3, 1)).toBe(-Infinity)
    expect(() => logRegIncBeta(0, 1, 0.5)).toThrow(RangeError)
    expect(() => logRegIncBeta(1, 1, 1.5)).toThrow(RangeError)
    expect(() => logRegIncBeta(1, Number.NaN, 0.5)).toThrow(RangeError)
  })
})

describe('regularized incomplete gamma', () => {
  it('matches closed forms: Q(1, x) = e^−x and Q(½, x) = erfc √x', () => {
    for (const x of [1e-8, 0.5, 1.5, 2, 30, 700, 1e5]) {
      expectRelClose(logRegIncGammaUpper(1, x), -x, 1e-14)
      // ln(1 − e^−x), each branch where it is exact.
      const lower = x < Math.LN2 ? Math.log(-Math.expm1(-x)) : Math.log1p(-Math.exp(-x))
      expectRelClose(logRegIncGammaLower(1, x), lower, 1e-14)
    }
    // erfc(2) = 0.004677734981047265837930743632747…
    expectRelClose(logRegIncGammaUpper(0.5, 4), Math.log(0.004677734981047265837930743632747), 1e-15)
  })

  it('handles the end points and rejects bad shapes', () => {
    expect(logRegIncGammaUpper(3, 0)).toBe(0)
    expect(logRegIncGammaLower(3, -1)).toBe(-Infinity)
    expect(logRegIncGammaUpper(3, Infinity)).toBe(-Infinity)
    expect(() => logRegIncGammaUpper(0, 1)).toThrow(RangeError)
    expect(() => logRegIncGammaUpper(Infinity, 1)).toThrow(RangeError)
    expect(() => logRegIncGammaUpper(2, Number.NaN)).toThrow(RangeError)
  })

  it('never overflows its prefactor for 1e7 tokens', () => {
    // x^a e^−x / Γ(a) with a = 1e7 is e^(1.5e8 − 1.5e8) — finite only in log space.
    const v = logRegIncGammaUpper(1e7, 1.3e7)
    expect(Number.isFinite(v) && v < -3e5).toBe(true)
  })
})
