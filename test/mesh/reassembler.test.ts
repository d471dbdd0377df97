import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { Reassembler, MAX_FRAGMENTS, REASSEMBLY_TIMEOUT_MS } from '../../src/mesh/reassembler.js'
import type { Fragment } from '../../src/wire/fragment.js'
import { fcOptions } from '../wire/fc.js'

function split (data: Uint8Array, chunk: number, id = 1, type = 2): Fragment[] {
  const total = Math.ceil(data.length / chunk)
  return Array.from({ length: total }, (_, index) => ({
    fragmentId: new Uint8Array(8).fill(id), index, total, originalType: type, data: data.subarray(index * chunk, (index + 1) * chunk),
  }))
}

const bytes = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)

describe('Reassembler', () => {
  test('reassembler — any arrival order rebuilds the frame exactly', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 600 }), fc.integer(), (n, chunk, seed) => {
      const data = bytes(n, seed)
      const parts = split(data, chunk)
      fc.pre(parts.length <= MAX_FRAGMENTS)
      const order = parts.map((_, i) => i).sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101))
      const r = new Reassembler()
      let out: unknown = null
      for (const [k, i] of order.entries()) {
        out = r.add('s', parts[i]!, 0)
        if (k < order.length - 1) expect(out).toBeNull()
      }
      expect(out).toEqual(data)
      expect(r.openStreams).toBe(0)
      expect(r.storedBytes).toBe(0)
    }), fcOptions(200))
  })

  test('reassembler — more than 256 fragments is refused', () => {
    const r = new Reassembler()
    expect(r.add('s', { fragmentId: new Uint8Array(8), index: 0, total: 257, originalType: 2, data: bytes(1) }, 0)).toBe('tooManyFragments')
  })

  test('reassembler — a conflicting total, type or chunk is dropped and the genuine stream still completes', () => {
    const data = bytes(100)
    const parts = split(data, 30)
    const r = new Reassembler()
    expect(r.add('victim', parts[0]!, 0)).toBeNull()
    expect(r.add('victim', { ...parts[1]!, total: 9 }, 0)).toBe('mismatch')
    expect(r.add('victim', { ...parts[1]!, originalType: 9 }, 0)).toBe('mismatch')
    expect(r.add('victim', { ...parts[0]!, data: bytes(30, 5) }, 0)).toBe('conflict')
    expect(r.add('victim', parts[1]!, 0)).toBeNull()
    expect(r.add('victim', parts[2]!, 0)).toBeNull()
    expect(r.add('victim', parts[3]!, 0)).toEqual(data)
  })

  test('reassembler — a stream over the per-packet cap is dropped', () => {
    const r = new Reassembler({ maxBytes: 100 })
    const parts = split(bytes(200), 60)
    expect(r.add('s', parts[0]!, 0)).toBeNull()
    expect(r.add('s', parts[1]!, 0)).toBe('tooLarge')
    expect(r.openStreams).toBe(0)
  })

  test('reassembler — at most four open streams per sender, the oldest evicted', () => {
    const r = new Reassembler()
    for (let id = 1; id <= 5; id++) r.add('attacker', split(bytes(100), 10, id)[0]!, id)
    expect(r.openStreams).toBe(4)
    expect(r.evicted).toBe(1)
    // Another sender's stream is untouched by the attacker's churn.
    const mine = split(bytes(40), 10, 1)
    r.add('honest', mine[0]!, 0)
    for (let id = 10; id < 30; id++) r.add('attacker', split(bytes(100), 10, id)[0]!, 0)
    for (const p of mine.slice(1, -1)) r.add('honest', p, 0)
    expect(r.add('honest', mine.at(-1)!, 0)).toEqual(bytes(40))
  })

  test('reassembler — the global byte budget evicts the oldest streams, never exceeding it', () => {
    const r = new Reassembler({ budgetBytes: 1000 })
    for (let id = 0; id < 50; id++) {
      r.add(`sender${id}`, split(bytes(400), 200, id)[0]!, 0)
      expect(r.storedBytes).toBeLessThanOrEqual(1000)
    }
    expect(r.openStreams).toBe(5)
  })

  test('reassembler — streams time out after 30 s', () => {
    const r = new Reassembler()
    const parts = split(bytes(20), 10)
    r.add('s', parts[0]!, 0)
    r.sweep(REASSEMBLY_TIMEOUT_MS - 1)
    expect(r.openStreams).toBe(1)
    r.sweep(REASSEMBLY_TIMEOUT_MS)
    expect(r.openStreams).toBe(0)
    expect(r.expired).toBe(1)
    expect(r.add('s', parts[1]!, REASSEMBLY_TIMEOUT_MS)).toBeNull() // starts over, incomplete
  })

  test('reassembler — streams are keyed by sender too', () => {
    const a = split(bytes(20, 1), 10)
    const b = split(bytes(20, 2), 10)
    const r = new Reassembler()
    r.add('a', a[0]!, 0)
    r.add('b', b[0]!, 0)
    expect(r.add('a', a[1]!, 0)).toEqual(bytes(20, 1))
    expect(r.add('b', b[1]!, 0)).toEqual(bytes(20, 2))
  })

  test('reassembler — stored chunks are copies, not views of the caller\'s buffer', () => {
    const data = bytes(20)
    const buffer = data.slice()
    const parts = split(buffer, 10)
    const r = new Reassembler()
    r.add('s', parts[0]!, 0)
    buffer.fill(0)
    expect(r.add('s', { ...parts[1]!, data: data.subarray(10) }, 0)).toEqual(data)
  })
})
