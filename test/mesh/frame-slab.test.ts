import { describe, expect, test } from 'vitest'
import { FrameSlab, SLAB_BYTES } from '../../src/mesh/frame-slab.js'

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)

describe('FrameSlab', () => {
  test('frame slab — copies are exact, independent of the source and of each other', () => {
    const slab = new FrameSlab()
    const source = Uint8Array.from({ length: 200 }, (_, i) => i)
    const a = slab.copy(source, 150)
    const b = slab.copy(source, 200)
    expect([...a]).toEqual([...source.subarray(0, 150)])
    expect([...b]).toEqual([...source])
    source.fill(0)
    a.fill(7)
    expect(b[0]).toBe(0)
    expect(b[199]).toBe(199)
    expect(a.buffer).toBe(b.buffer) // both views into one slab
    const big = Uint8Array.from({ length: SLAB_BYTES }, (_, i) => i & 0xff)
    const c = slab.copy(big, SLAB_BYTES / 8 + 1)
    big.fill(0)
    expect(c[1]).toBe(1) // a buffer of its own is a copy too
  })

  test.each([
    ['fill a slab, then start a new one', 150, 2],
    ['the largest slab frame: exactly eight fill a slab', SLAB_BYTES / 8, 5],
    ['frames too large for a slab get their own buffer', SLAB_BYTES / 8 + 1, 40],
  ])('frame slab — %s', (_, length, expectedBuffers) => {
    const slab = new FrameSlab()
    const frames = Array.from({ length: 40 }, (_, i) => slab.copy(bytes(length, i), length))
    frames.forEach((f, i) => expect(f.every(b => b === i)).toBe(true))
    expect(new Set(frames.map(f => f.buffer)).size).toBe(expectedBuffers)
    for (const f of frames) expect(f.byteOffset + f.length).toBeLessThanOrEqual(f.buffer.byteLength)
  })
})
