// A tiny benchmark loop: warm up, then run for a fixed wall time and report operations per second.
// Figures print as `<name>: <number> <unit>`, one per line, so the README table can be regenerated.

export interface Measured { opsPerSecond: number, iterations: number, seconds: number }

export function measure (fn: () => void, seconds = 1): Measured {
  const warmUntil = performance.now() + Math.min(200, seconds * 200)
  while (performance.now() < warmUntil) fn()
  let iterations = 0
  const start = performance.now()
  const end = start + seconds * 1000
  let now = start
  while (now < end) {
    for (let i = 0; i < 64; i++) fn()
    iterations += 64
    now = performance.now()
  }
  const elapsed = (now - start) / 1000
  return { opsPerSecond: iterations / elapsed, iterations, seconds: elapsed }
}

export function report (name: string, value: number, unit: string): void {
  const shown = value >= 100 ? Math.round(value).toString() : value.toPrecision(3)
  process.stdout.write(`${name}: ${shown} ${unit}\n`)
}
