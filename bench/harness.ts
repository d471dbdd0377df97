// A tiny benchmark loop: warm up, then run for a fixed wall time and report operations per second.
// Figures print as `<name>: <number> <unit>`, one per line, so the README table can be regenerated.
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeHeapSnapshot } from 'node:v8'

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

/** A full garbage collection; the benches that measure memory run with `--expose-gc`, and say so if not. */
export function collectGarbage (): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run node with --expose-gc')
  gc()
}

/** Heap snapshot node types that are program data; the rest is compiled code and V8's own bookkeeping. */
const DATA_TYPES = new Set(['object', 'closure', 'array', 'string', 'concatenated string', 'sliced string', 'number', 'native', 'symbol', 'bigint', 'regexp'])

/**
 * Live data objects in the heap, from a heap snapshot; collect garbage first. The heap's size alone does
 * not say whether something leaks: V8 keeps compiling and deoptimising for a long time (over 800 links
 * in the emulator bench its code and deopt data grew 0.6 MB while the objects stayed level).
 */
export function liveObjects (): number {
  const file = writeHeapSnapshot(join(tmpdir(), `blemesh-bench-${process.pid}.heapsnapshot`))
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[], node_types: [string[]] } }, nodes: number[] }
  rmSync(file)
  const fields = snapshot.snapshot.meta.node_fields
  const typeAt = fields.indexOf('type')
  const names = snapshot.snapshot.meta.node_types[0]
  let count = 0
  for (let i = typeAt; i < snapshot.nodes.length; i += fields.length) if (DATA_TYPES.has(names[snapshot.nodes[i]!]!)) count++
  return count
}
