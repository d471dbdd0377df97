import { describe, expect, test } from 'vitest'
import { LocalPinPool, PIN_BYTES, SharedPinPool, type PinPool } from '../../src/mesh/pin-pool.js'

/** Keys whose first bytes repeat every 16 pins, so probes collide and chains form. */
const noise = (n: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => (i < 4 ? n % 16 : (n * 7 + i) & 0xff))
const signing = (n: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => (i < 4 ? 3 : (n * 13 + i * 5) & 0xff) ^ (i === 31 ? n >> 8 : 0))
const pinOf = (pool: PinPool, handle: number): Uint8Array => pool.bytes.slice(handle * PIN_BYTES, (handle + 1) * PIN_BYTES)
const expected = (n: number): Uint8Array => Uint8Array.from([...noise(n), ...signing(n)])

describe.each([
  ['LocalPinPool', () => new LocalPinPool()],
  ['SharedPinPool', () => new SharedPinPool()],
] as const)('%s', (_, make) => {
  test('pin pool — each handle reads back its keys, through growth', () => {
    const pool = make()
    const handles = Array.from({ length: 1000 }, (_, n) => pool.acquire(noise(n), signing(n)))
    expect(new Set(handles).size).toBe(1000)
    handles.forEach((h, n) => expect(pinOf(pool, h)).toEqual(expected(n)))
  })
})

describe('LocalPinPool', () => {
  test('pin pool — a released handle is reused, and takes the new keys', () => {
    const pool = new LocalPinPool()
    const a = pool.acquire(noise(1), signing(1))
    const b = pool.acquire(noise(2), signing(2))
    pool.release(a)
    expect(pool.acquire(noise(3), signing(3))).toBe(a)
    expect(pinOf(pool, a)).toEqual(expected(3))
    expect(pinOf(pool, b)).toEqual(expected(2))
  })

  test('pin pool — equal keys acquired twice get two handles (a table releases each on its own)', () => {
    const pool = new LocalPinPool()
    expect(pool.acquire(noise(1), signing(1))).not.toBe(pool.acquire(noise(1), signing(1)))
  })
})

describe('SharedPinPool', () => {
  test('pin pool — equal keys share one handle and are stored once, whoever asks', () => {
    const pool = new SharedPinPool()
    const first = Array.from({ length: 300 }, (_, n) => pool.acquire(noise(n), signing(n)))
    const again = Array.from({ length: 300 }, (_, n) => pool.acquire(noise(n).slice(), signing(n).slice()))
    expect(again).toEqual(first)
    expect(pool.size).toBe(300)
  })

  test.each([
    ['signing', 32],
    ['Noise', 0],
  ])('pin pool — keys differing only in the %s key\'s last byte are two pins', (_, offset) => {
    const pool = new SharedPinPool()
    const a = pool.acquire(noise(1), signing(1))
    const keys = expected(1)
    keys[offset + 31] = keys[offset + 31]! ^ 1
    const b = pool.acquire(keys.subarray(0, 32), keys.subarray(32))
    expect(b).not.toBe(a)
    expect(pinOf(pool, b)).toEqual(keys)
  })

  test('pin pool — a name is kept per pin, and a new name replaces it', () => {
    const pool = new SharedPinPool()
    const a = pool.acquire(noise(1), signing(1))
    const b = pool.acquire(noise(2), signing(2))
    expect(pool.name(a, 'alice')).toBe('alice')
    expect(pool.name(b, 'bob')).toBe('bob')
    expect(pool.name(a, ['al', 'ice'].join(''))).toBe('alice')
    expect(pool.name(a, 'alicia')).toBe('alicia')
    expect(pool.name(a, 'alicia')).toBe('alicia')
    expect(pool.name(b, 'bob')).toBe('bob')
  })

  test('pin pool — release keeps the pin: another table may still use it', () => {
    const pool = new SharedPinPool()
    const a = pool.acquire(noise(1), signing(1))
    pool.release(a)
    expect(pool.acquire(noise(1), signing(1))).toBe(a)
    expect(pinOf(pool, a)).toEqual(expected(1))
  })
})
