import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { SeededRandom } from '../../src/prng.js'
import { DecodeError } from '../../src/wire/decode-error.js'
import {
  GCS_MAX_M, IOS_GCS_FPR, IOS_GCS_MAX_BYTES, IOS_GCS_MAX_ITEMS, buildGcsFilter, decodeGcs, encodeGcs, gcsCapacity,
  gcsHas, gcsP, gcsValue,
} from '../../src/wire/gcs.js'
import { decodeErrorField, fcOptions, hex, toHex } from './fc.js'

// A second coder written from §7.3's words alone, on bit strings and BigInt, for the codec to agree with.
function refValue (hash: Uint8Array, m: number): number {
  const h64 = BigInt('0x' + toHex(hash.subarray(0, 8))) & 0x7fff_ffff_ffff_ffffn
  const v = Number(h64 % BigInt(m))
  return v === 0 ? 1 : v
}

function refEncode (values: readonly number[], p: number): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b)
  let bits = ''
  let prev = 0
  for (const v of sorted) {
    const x = v - prev - 1
    prev = v
    bits += '1'.repeat(Math.floor(x / 2 ** p)) + '0' + (x % 2 ** p).toString(2).padStart(p, '0')
  }
  bits = bits.padEnd(Math.ceil(bits.length / 8) * 8, '0')
  return (bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2).toString(16).padStart(2, '0')).join('')
}

/** iOS buildFilter as §7.3 and GCSFilter.swift describe it: M fixed first, oldest 10 % dropped per round. */
function refBuild (hashes: Uint8Array[], p: number, maxBytes: number): { m: number, data: string, included: number } {
  let count = Math.min(hashes.length, Math.max(1, Math.floor(Math.max(8, maxBytes * 8) / Math.max(3, p + 2))))
  if (count === 0) return { m: 1, data: '', included: 0 }
  const m = Math.min(2 ** 32 - 1, count * 2 ** p)
  let data = refEncode(hashes.slice(0, count).map((h) => refValue(h, m)), p)
  while (data.length / 2 > maxBytes && count > 1) {
    count = Math.max(1, Math.floor(count * 9 / 10))
    data = refEncode(hashes.slice(0, count).map((h) => refValue(h, m)), p)
  }
  return data.length / 2 > maxBytes ? { m, data: '', included: 0 } : { m, data, included: count }
}

const sha256 = (b: Uint8Array): Uint8Array => Uint8Array.from(createHash('sha256').update(b).digest())

function randomHashes (rng: SeededRandom, n: number): Uint8Array[] {
  return Array.from({ length: n }, () => sha256(rng.bytes(16)))
}

/** P, then M up to 200·2^P (capped at the u32 limit) so unary runs stay short, then distinct values below M. */
function setArb (pMin: number, pMax: number): fc.Arbitrary<{ p: number, m: number, values: number[] }> {
  return fc.integer({ min: pMin, max: pMax }).chain((p) =>
    fc.integer({ min: 2, max: 200 }).chain((k) => {
      const m = Math.min(GCS_MAX_M, k * 2 ** p)
      return fc.uniqueArray(fc.integer({ min: 1, max: m - 1 }), { maxLength: 200 }).map((values) => ({ p, m, values }))
    }))
}

const sorted = (values: number[]): number[] => [...new Set(values)].sort((a, b) => a - b)

describe('§7.3 GCS filter', () => {
  test.each([
    // p = 7, values 1, 200, 201: gaps 1, 199, 1, so x − 1 = 0, 198, 0.
    //   0   → q 0: "0", r "0000000"                       → 00000000
    //   198 → q 1: "10", r 198 − 128 = 70 = "1000110"      → 10 1000110
    //   0   → "0" "0000000"                                 → 00000000
    // 25 bits: 00000000 10100011 00000000 0|0000000 (padding) = 00 a3 00 00
    ['p = 7, [1, 200, 201]', 7, 384, [1, 200, 201], '00a30000'],
    // p = 2, values 1, 5, 6: x − 1 = 0, 3, 0 → "0 00" "0 11" "0 00" = 000011000 → 00001100 0|0000000 = 0c 00.
    ['p = 2, [1, 5, 6]', 2, 7, [1, 5, 6], '0c00'],
    // x − 1 = 4 with p = 2: q 1 → "10", r "00"; x − 1 = 0 → "000": 1000000 + one padding bit = 80.
    ['p = 2, [5, 6] (a quotient of 1)', 2, 7, [5, 6], '80'],
    ['p = 1, [3] (x − 1 = 2: "1" "0" "0")', 1, 4, [3], '80'],
    ['no values', 7, 128, [], ''],
    // M − 1 at the widest P: x − 1 = 2^32 − 3 → "0" then 1…1101 (32 bits): 33 bits in 5 bytes,
    // 01111111 11111111 11111111 11111110 1|0000000.
    ['p = 32, [2^32 − 2]', 32, GCS_MAX_M, [GCS_MAX_M - 1], '7ffffffe80'],
  ])('§7.3 gcs — hand-worked vector: %s', (_name, p, m, values, wire) => {
    expect(toHex(encodeGcs(values, p, m))).toBe(wire)
    expect(decodeGcs({ p, m, data: hex(wire) })).toEqual(values)
  })

  test('§7.3 gcs — zero padding that holds whole codes (P ≤ 6) reads as values past the last, as on the phones', () => {
    // 0c00 is [1, 5, 6] and 7 padding zeros: "000" "000" "0" under p = 2. iOS and Android both read the two
    // complete codes as gaps of 1 and stop at M or at the lone bit.
    expect(decodeGcs({ p: 2, m: 7, data: hex('0c00') })).toEqual([1, 5, 6])
    expect(decodeGcs({ p: 2, m: 8, data: hex('0c00') })).toEqual([1, 5, 6, 7])
    expect(decodeGcs({ p: 2, m: 100, data: hex('0c00') })).toEqual([1, 5, 6, 7, 8])
  })

  test('§7.3 gcs — no published byte vector exists upstream; built filters match a reference coder', () => {
    // iOS bitchatTests/GCSFilterTests.swift and Android sync/GCSFilterTest.kt test round trips and sizes,
    // never bytes, so this pins our builder to an independent reading of §7.3 instead.
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 120 }), fc.integer(),
      (count, p, maxBytes, seed) => {
        const hashes = randomHashes(new SeededRandom(seed), count)
        const built = buildGcsFilter(hashes, { p, maxBytes })
        expect({ m: built.m, data: toHex(built.data), included: built.included }).toEqual(refBuild(hashes, p, maxBytes))
      }), fcOptions(2_000))
  })

  test('§7.3 gcs — decode(encode(values)) = the sorted distinct values, for P ≥ 7', () => {
    fc.assert(fc.property(setArb(7, 32), ({ p, m, values }) => {
      const data = encodeGcs(values, p, m)
      expect(toHex(data)).toBe(refEncode(values, p))
      expect(decodeGcs({ p, m, data })).toEqual(sorted(values))
    }), fcOptions(10_000))
  })

  test('§7.3 gcs — for P ≤ 6 decoding adds at most the padding\'s codes: consecutive values after the last', () => {
    fc.assert(fc.property(setArb(1, 6), ({ p, m, values }) => {
      const data = encodeGcs(values, p, m)
      expect(toHex(data)).toBe(refEncode(values, p))
      const want = sorted(values)
      const got = decodeGcs({ p, m, data })
      expect(got.slice(0, want.length)).toEqual(want)
      const extra = got.slice(want.length)
      expect(extra.length).toBeLessThanOrEqual(Math.floor(7 / (p + 1)))
      extra.forEach((v, i) => expect(v).toBe((want.at(-1) ?? 0) + i + 1))
    }), fcOptions(10_000))
  })

  test('§7.3 gcs — encodeGcs sorts and de-duplicates its input', () => {
    expect(toHex(encodeGcs([6, 1, 5, 5, 1], 2, 7))).toBe('0c00')
  })

  test.each([
    ['p = 0', 0, 100, '00', 'p'],
    ['p = 33', 33, 100, '00', 'p'],
    ['p not an integer', 7.5, 100, '00', 'p'],
    ['m = 0', 7, 0, '', 'm'],
    ['m = 2^32', 7, 2 ** 32, '', 'm'],
    ['m not an integer', 7, 100.5, '', 'm'],
    ['a unary run past the end', 7, 1000, 'ff', 'filter'],
    ['a unary run past the end after a value', 7, 1000, '00ff', 'filter'],
    ['a code cut off that holds a 1 (not padding)', 7, 1000, '80', 'filter'],
    ['a whole zero byte too few for the remainder (not padding)', 16, 1000, '0000', 'filter'],
    // 129 ("10" "0000000"), then "1" "0" and 5 bits: a partial code with a 1 in it is no padding.
    ['a 1 among the last byte\'s trailing bits', 7, 1000, '8040', 'filter'],
    ['a value equal to m', 7, 100, '63', 'filter'], // x − 1 = 99: "0" "1100011"
    ['a running sum past m', 7, 100, '3b31', 'filter'], // 60, then 60 + 50
    ['any value under m = 1', 7, 1, '00', 'filter'],
    // 2 ("0" "01"), then 2 + 1 + 1 = 4 = m ("0" "01") with the 1 at bit 5: not padding, though in the first byte.
    ['a value reaching m whose code holds the first byte\'s last 1', 2, 4, '24', 'filter'],
    ['a 64-bit unary run at p = 32 (q·2^32 past m)', 32, GCS_MAX_M, 'ffffffffffffffff7fffffffff', 'filter'],
  ])('§7.3 gcs — %s is a DecodeError', (_name, p, m, wire, field) => {
    expect(decodeErrorField(() => decodeGcs({ p, m, data: hex(wire) }))).toBe(field)
  })

  test.each([
    ['empty data', 7, 100, '', []],
    ['m = 1 and no data (iOS with nothing to offer)', 7, 1, '', []],
    ['a zero byte at p = 7: a whole code, the value 1', 7, 100, '00', [1]],
    ['zero padding too short for a code', 7, 384, '00a30000', [1, 200, 201]],
    ['a padding code reaching m ends the set', 2, 7, '0c00', [1, 5, 6]],
  ])('§7.3 gcs — %s decodes', (_name, p, m, wire, values) => {
    expect(decodeGcs({ p, m, data: hex(wire) })).toEqual(values)
  })

  test('§7.3 gcs — a cut filter (P ≥ 7) throws or yields a prefix of the set, never a new value', () => {
    fc.assert(fc.property(setArb(7, 20), ({ p, m, values }) => {
      const data = encodeGcs(values, p, m)
      const want = sorted(values)
      for (let n = 0; n < data.length; n++) {
        let got: number[]
        try { got = decodeGcs({ p, m, data: data.subarray(0, n) }) } catch (e) { expect(e).toBeInstanceOf(DecodeError); continue }
        expect(got).toEqual(want.slice(0, got.length))
      }
    }), fcOptions(2_000))
  })

  test('§7.3 gcs — arbitrary bytes and parameters: DecodeError or a sorted in-range set of bounded size', () => {
    const big = fc.integer({ min: -2, max: 2 ** 32 + 2 })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: -1, max: 40 }), fc.oneof(big, fc.integer({ min: 0, max: 5000 })),
      (data, p, m) => {
        let got: number[]
        try { got = decodeGcs({ p, m, data }) } catch (e) { expect(e).toBeInstanceOf(DecodeError); return }
        expect(got.length).toBeLessThanOrEqual(Math.floor(data.length * 8 / (p + 1)))
        got.forEach((v, i) => { expect(v).toBeGreaterThan(i === 0 ? 0 : got[i - 1]!); expect(v).toBeLessThan(m) })
      }), fcOptions(10_000))
  })

  test('§7.3 gcs — gcsValue: masked big-endian u64 mod m, 0 → 1', () => {
    const ones = hex('ffffffffffffffff' + '00'.repeat(24))
    expect(gcsValue(ones, 2)).toBe(1)
    // 2^63 − 1 mod 2^32 − 1: 2^32 ≡ 1, so 2^63 ≡ 2^31.
    expect(gcsValue(ones, GCS_MAX_M)).toBe(2 ** 31 - 1)
    expect(gcsValue(hex('8000000000000000'), 12345)).toBe(1) // top bit masked: 0 → 1
    expect(gcsValue(hex('0000000000000005'), 5)).toBe(1)
    expect(gcsValue(hex('0000000000000005'), 6)).toBe(5)
    expect(gcsValue(hex('0123456789abcdef'), 1)).toBe(1)
    expect(() => gcsValue(hex('00000000000005'), 6)).toThrow(/^hash: /)
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: GCS_MAX_M }), (h, m) => {
      expect(gcsValue(h, m)).toBe(refValue(h, m))
    }), fcOptions(10_000))
  })

  test('§7.3 gcs — gcsP and gcsCapacity follow iOS deriveP and estimateMaxElements', () => {
    expect([0.01, 0.001, 0.25, 0.5, 1, 1e-9, 0.05].map(gcsP)).toEqual([7, 10, 2, 2, 2, 20, 5])
    for (const fpr of [0, -0.01, Number.NaN]) expect(() => gcsP(fpr), `${fpr}`).toThrow(/^fpr: /)
    expect([gcsCapacity(400, 7), gcsCapacity(256, 7), gcsCapacity(0, 7), gcsCapacity(20, 7), gcsCapacity(10, 1)]).toEqual([355, 227, 1, 17, 26])
  })

  test('§7.3 gcs — gcsHas finds exactly the listed values', () => {
    const list = [1, 5, 6, 200, 4_000_000_000]
    for (let v = 0; v < 210; v++) expect(gcsHas(list, v), `${v}`).toBe(list.includes(v))
    expect(gcsHas(list, 4_000_000_000)).toBe(true)
    expect(gcsHas([], 1)).toBe(false)
  })

  test('§7.3 gcs — the iOS build of 1000 IDs: the newest 355 in ≤ 400 bytes, M = 355·2^7, all found, about 1 % false positives', () => {
    const rng = new SeededRandom(0x6c5f11)
    const hashes = randomHashes(rng, 1000)
    const f = buildGcsFilter(hashes, { fpr: IOS_GCS_FPR, maxBytes: IOS_GCS_MAX_BYTES, maxItems: IOS_GCS_MAX_ITEMS })
    expect(f.p).toBe(7)
    expect(f.m).toBe(355 * 128)
    expect(f.data.length).toBeLessThanOrEqual(400)
    expect(f.included).toBe(355)
    const values = decodeGcs(f)
    for (const h of hashes.slice(0, f.included)) expect(gcsHas(values, gcsValue(h, f.m))).toBe(true)
    // The 645 oldest were left out: found only as often as any absent ID.
    expect(hashes.slice(355).filter((h) => gcsHas(values, gcsValue(h, f.m))).length).toBeLessThan(20)
    const absent = randomHashes(rng, 10_000)
    const hits = absent.filter((h) => gcsHas(values, gcsValue(h, f.m))).length
    // included/M ≈ 1/128 ≈ 0.8 % expected.
    expect(hits / absent.length).toBeGreaterThan(0.003)
    expect(hits / absent.length).toBeLessThan(0.03)
  })

  test('§7.3 gcs — the count cap, not the byte budget, is what trims: the newest N are kept, always in budget', () => {
    // With M = N·2^P the quotients sum to < N, so N values fit N(P + 2) bits: the phones' 10 %-trim loop
    // (kept in refBuild above, which the builder matches) changes nothing. A budget under one item's
    // P + 1 bits sends an empty filter.
    fc.assert(fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 100 }), fc.integer(),
      (count, p, maxBytes, seed) => {
        const hashes = randomHashes(new SeededRandom(seed), count)
        const f = buildGcsFilter(hashes, { p, maxBytes })
        expect(f.data.length).toBeLessThanOrEqual(maxBytes)
        const fits = 8 * maxBytes >= p + 1
        expect(f.included).toBe(fits ? Math.min(count, gcsCapacity(maxBytes, p)) : 0)
        const values = decodeGcs(f)
        for (const h of hashes.slice(0, f.included)) expect(gcsHas(values, gcsValue(h, f.m))).toBe(true)
      }), fcOptions(2_000))
  })

  test.each([
    ['no candidates', 0, 400, undefined, { m: 1, data: '', included: 0 }],
    ['maxItems 0', 5, 400, 0, { m: 1, data: '', included: 0 }],
    ['a budget of 0 bytes', 5, 0, undefined, { m: 128, data: '', included: 0 }],
  ])('§7.3 gcs — build with %s sends an empty filter', (_name, n, maxBytes, maxItems, want) => {
    const f = buildGcsFilter(randomHashes(new SeededRandom(1), n), { p: 7, maxBytes, maxItems })
    expect({ m: f.m, data: toHex(f.data), included: f.included }).toEqual(want)
    expect(decodeGcs(f)).toEqual([])
  })

  test('§7.3 gcs — build caps M at 2^32 − 1, and repeated IDs give one value', () => {
    const two = randomHashes(new SeededRandom(7), 2)
    expect(buildGcsFilter(two, { p: 32, maxBytes: 100 }).m).toBe(GCS_MAX_M)
    const same = Array.from({ length: 64 }, () => two[0]!)
    const f = buildGcsFilter(same, { fpr: 0.01, maxBytes: 128 })
    expect(decodeGcs(f)).toEqual([gcsValue(two[0]!, f.m)])
  })

  test.each([
    ['neither p nor fpr', { maxBytes: 10 }],
    ['both p and fpr', { maxBytes: 10, p: 7, fpr: 0.01 }],
    ['p = 0', { maxBytes: 10, p: 0 }],
    ['a negative budget', { maxBytes: -1, p: 7 }],
    ['a fractional maxItems', { maxBytes: 10, p: 7, maxItems: 1.5 }],
  ])('§7.3 gcs — buildGcsFilter refuses %s', (_name, options) => {
    expect(() => buildGcsFilter([], options)).toThrow(Error)
  })

  test.each([
    ['a value of 0', [0], 7, 100],
    ['a value equal to m', [100], 7, 100],
    ['a fractional value', [1.5], 7, 100],
    ['p = 33', [1], 33, 100],
    ['m = 2^32', [1], 7, 2 ** 32],
  ])('§7.3 gcs — encodeGcs refuses %s', (_name, values, p, m) => {
    expect(() => encodeGcs(values, p, m)).toThrow(Error)
  })
})
