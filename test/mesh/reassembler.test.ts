import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { Reassembler, MAX_FRAGMENTS, MAX_OPEN_STREAMS, MAX_STREAMS_PER_SENDER, REASSEMBLY_TIMEOUT_MS } from '../../src/mesh/reassembler.js'
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

  test('reassembler — exactly 256 fragments rebuild the frame', () => {
    const data = bytes(MAX_FRAGMENTS * 3)
    const parts = split(data, 3)
    expect(parts).toHaveLength(MAX_FRAGMENTS)
    const r = new Reassembler()
    for (const p of parts.slice(0, -1)) expect(r.add('s', p, 0)).toBeNull()
    expect(r.add('s', parts.at(-1)!, 0)).toEqual(data)
  })

  test('reassembler — an identical repeat of a fragment is ignored, not counted twice', () => {
    // Fragments reach a relay over several links; a repeat must neither complete a stream early nor conflict.
    const data = bytes(30)
    const parts = split(data, 10)
    const r = new Reassembler()
    expect(r.add('s', parts[0]!, 0)).toBeNull()
    expect(r.add('s', { ...parts[0]!, data: parts[0]!.data.slice() }, 0)).toBeNull()
    expect(r.add('s', parts[1]!, 0)).toBeNull()
    expect(r.add('s', parts[1]!, 0)).toBeNull()
    expect(r.storedBytes).toBe(20)
    expect(r.add('s', parts[2]!, 0)).toEqual(data)
  })

  test.each([
    { name: 'a chunk one byte shorter', data: bytes(9) },
    { name: 'a chunk one byte longer', data: bytes(11) },
  ])('reassembler — $name than the stored one conflicts', ({ data }) => {
    const parts = split(bytes(20), 10)
    const r = new Reassembler()
    r.add('s', parts[0]!, 0)
    expect(r.add('s', { ...parts[0]!, data }, 0)).toBe('conflict')
    expect(r.add('s', parts[1]!, 0)).toEqual(bytes(20))
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

  test.each([
    { name: 'one fragment of exactly the cap', sizes: [100], result: 'frame' },
    { name: 'one fragment a byte over the cap', sizes: [101], result: 'tooLarge' },
    { name: 'fragments adding up to exactly the cap', sizes: [60, 40], result: 'frame' },
    { name: 'fragments adding up to a byte over the cap', sizes: [60, 41], result: 'tooLarge' },
  ])('reassembler — $name', ({ sizes, result }) => {
    const r = new Reassembler({ maxBytes: 100 })
    const data = bytes(sizes.reduce((a, b) => a + b, 0))
    let at = 0
    let out: unknown = null
    for (const [index, size] of sizes.entries()) {
      out = r.add('s', { fragmentId: new Uint8Array(8), index, total: sizes.length, originalType: 2, data: data.subarray(at, at + size) }, 0)
      at += size
    }
    if (result === 'frame') expect(out).toEqual(data)
    else {
      expect(out).toBe(result)
      expect(r.openStreams).toBe(0)
      expect(r.storedBytes).toBe(0)
      // A fragment over the cap on its own is refused before a stream opens; a stream that grows over it is evicted.
      expect(r.evicted).toBe(sizes.length > 1 ? 1 : 0)
    }
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

  test('reassembler — a sender whose streams completed or timed out may open four again', () => {
    const r = new Reassembler()
    for (let id = 1; id <= MAX_STREAMS_PER_SENDER; id++) for (const p of split(bytes(20), 10, id)) r.add('s', p, 0)
    for (let id = 11; id <= 10 + MAX_STREAMS_PER_SENDER; id++) r.add('s', split(bytes(20), 10, id)[0]!, 0)
    r.sweep(REASSEMBLY_TIMEOUT_MS)
    expect(r.openStreams).toBe(0)
    for (let id = 21; id <= 20 + MAX_STREAMS_PER_SENDER; id++) r.add('s', split(bytes(20), 10, id)[0]!, REASSEMBLY_TIMEOUT_MS)
    expect(r.openStreams).toBe(MAX_STREAMS_PER_SENDER)
    expect(r.evicted).toBe(0)
  })

  test('reassembler — a completed stream frees its place, and only its own', () => {
    const r = new Reassembler()
    const first = split(bytes(20), 10, 1)
    r.add('s', first[0]!, 0)
    for (let id = 2; id <= MAX_STREAMS_PER_SENDER; id++) r.add('s', split(bytes(20), 10, id)[0]!, 0)
    expect(r.add('s', first[1]!, 0)).toEqual(bytes(20)) // three of the sender's streams stay open
    for (let id = 11; id <= 12; id++) r.add('s', split(bytes(20), 10, id)[0]!, 0)
    expect(r.openStreams).toBe(MAX_STREAMS_PER_SENDER)
    expect(r.evicted).toBe(1)
  })

  test.each([
    { name: 'the default', options: {}, open: MAX_OPEN_STREAMS },
    { name: 'a configured bound', options: { maxOpenStreams: 3 }, open: 3 },
  ])('reassembler — open streams in total stay within $name, the oldest evicted', ({ options, open }) => {
    const r = new Reassembler(options)
    const first = split(bytes(20), 10, 0)
    r.add('sender-first', first[0]!, 0)
    for (let n = 1; n <= open; n++) {
      expect(r.add(`sender${n}`, split(bytes(20), 10, n)[0]!, 0)).toBeNull()
      expect(r.openStreams).toBe(Math.min(n + 1, open))
    }
    expect(r.evicted).toBe(1)
    // The oldest was the one evicted: its second fragment starts it over instead of completing it.
    expect(r.add('sender-first', first[1]!, 0)).toBeNull()
    expect(r.add(`sender${open}`, split(bytes(20), 10, open)[1]!, 0)).toEqual(bytes(20))
  })

  test('reassembler — the budget never evicts the stream it is making room for', () => {
    const r = new Reassembler({ budgetBytes: 100, maxBytes: 100 })
    const big = split(bytes(100), 50, 1)
    expect(r.add('a', big[0]!, 0)).toBeNull() // oldest stream, 50 bytes
    expect(r.add('b', split(bytes(80), 40, 2)[0]!, 0)).toBeNull() // 40 more: 90 stored
    // a's second half needs 50: b goes, a stays and completes although it is the oldest.
    expect(r.add('a', big[1]!, 0)).toEqual(bytes(100))
    expect(r.evicted).toBe(1)
    expect(r.storedBytes).toBe(0)
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
