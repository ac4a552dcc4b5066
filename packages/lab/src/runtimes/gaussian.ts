/** `n` normal draws of standard deviation `std` (Box–Muller) from a uniform source: random weights. */
export function gaussian(n: number, std: number, random: () => number): Float32Array {
  const out = new Float32Array(n)
  for (let i = 0; i < n; i += 2) {
    const u = 1 - random()
    const r = Math.sqrt(-2 * Math.log(u)) * std
    const a = 2 * Math.PI * random()
    out[i] = r * Math.cos(a)
    if (i + 1 < n) out[i + 1] = r * Math.sin(a)
  }
  return out
}
