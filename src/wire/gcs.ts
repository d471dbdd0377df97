// Golomb-coded set of packet IDs, the filter a REQUEST_SYNC carries (bitchat-protocol.md §7.3). Bit for bit
// what [iOS] Sync/GCSFilter.swift and [AND] sync/GCSFilter.kt build and read: each ID's SHA-256 becomes a
// value in 1..M−1, the sorted distinct values are sent as gaps (the first from 0), each gap x as
// q = (x − 1) >> P in unary (q ones, then a zero) and the low P bits of x − 1, MSB first, the last byte
// zero-padded. Pure: the caller hashes (the codec must not pick a crypto provider).
import { DecodeError } from './decode-error.js'

export interface GcsFilter {
  /** Golomb-Rice parameter, 1..32: a false-positive rate of about 2^-P. */
  p: number
  /** Hash range, 1..2^32 − 1: values lie in 1..M − 1. */
  m: number
  /** The coded gaps, MSB first. */
  data: Uint8Array
}

/** P accepted from the wire: [iOS] decodeToSortedSet takes 1..GCSFilter.maxP. */
export const GCS_MIN_P = 1
export const GCS_MAX_P = 32
/** M travels as a UInt32. */
export const GCS_MAX_M = 0xffff_ffff
/** [iOS] TransportConfig.syncGCSMaxBytes / syncSeenCapacity / syncGCSTargetFpr: what an iPhone sends. */
export const IOS_GCS_MAX_BYTES = 400
export const IOS_GCS_MAX_ITEMS = 1000
export const IOS_GCS_FPR = 0.01

/** [iOS] deriveP: ceil(log2(1/fpr)) with the rate clamped to 1e-6..0.25, so P is 2..20 (7 for 1 %). */
export function gcsP (fpr: number): number {
  if (!(fpr > 0)) throw new Error('fpr: must be > 0')
  const f = Math.max(0.000001, Math.min(0.25, fpr))
  return Math.max(1, Math.ceil(Math.log2(1 / f)))
}

/**
 * [iOS] estimateMaxElements: how many items a budget is assumed to hold at P + 2 bits each. It caps the
 * items a filter covers, and so fixes M = items × 2^P.
 */
export function gcsCapacity (maxBytes: number, p: number): number {
  return Math.max(1, Math.floor(Math.max(8, maxBytes * 8) / Math.max(3, p + 2)))
}

/**
 * An ID's value under range m, from SHA-256(id) (only its first 8 bytes are read): the big-endian u64 with
 * its top bit cleared, mod m, with 0 taken as 1 (a zero gap has no code). For m = 1 this is 1, which no
 * filter holds (iOS says 0 there; neither is ever found).
 */
export function gcsValue (hash: Uint8Array, m: number): number {
  checkM(m)
  if (hash.length < 8) throw new Error('hash: needs at least 8 bytes')
  const hi = (hash[0]! & 0x7f) * 0x100_0000 + (hash[1]! << 16 | hash[2]! << 8 | hash[3]!)
  const lo = hash[4]! * 0x100_0000 + (hash[5]! << 16 | hash[6]! << 8 | hash[7]!)
  // (hi·2^32 + lo) mod m without leaving the 2^53 of exact doubles: every product below is < 2^48.
  let r = hi % m
  r = (r * 0x1_0000) % m
  r = (r * 0x1_0000) % m
  r = (r + lo) % m
  return r === 0 ? 1 : r
}

/**
 * The coded stream of a set of values (sorted and de-duplicated here), each an integer in 1..m − 1.
 * No byte budget: trimming decides which items the filter covers, so it belongs to buildGcsFilter.
 */
export function encodeGcs (values: readonly number[], p: number, m: number): Uint8Array {
  checkP(p)
  checkM(m)
  for (const v of values) {
    if (!Number.isInteger(v) || v < 1 || v >= m) throw new Error(`values: ${v} outside 1..${m - 1}`)
  }
  return encodeSorted(sortedDistinct(values), p)
}

export interface GcsBuildOptions {
  /** Byte budget of the coded stream ([iOS] 400, [AND] 256). */
  maxBytes: number
  /** Target false-positive rate; P = gcsP(fpr). Give this or p. */
  fpr?: number
  /** Golomb-Rice parameter, 1..32. Give this or fpr. */
  p?: number
  /** Candidates considered at most ([iOS] syncSeenCapacity 1000, [AND] 100); default all. */
  maxItems?: number
}

export interface BuiltGcsFilter extends GcsFilter {
  /** How many of the hashes (a newest-first prefix) the filter covers: [iOS] Params.includedCount. */
  included: number
}

/**
 * Builds a filter as [iOS] GCSFilter.buildFilter does, from SHA-256(id) of each candidate, newest first:
 * the first N = min(count, maxItems, gcsCapacity) are kept (the oldest go) and M = N·2^P, capped at
 * 2^32 − 1. No candidates gives M = 1 and no bytes; so does maxItems 0.
 *
 * The phones then drop the oldest 10 % at a time while the stream exceeds maxBytes, and send no bytes (M
 * kept) if one item still does not fit. Under this M the loop changes nothing: N values below M have
 * quotients summing to at most N − 1, so they take under N·max(3, P + 2) ≤ max(8, 8·maxBytes) bits. Only a
 * budget below one item — 0 bytes, or fewer than P + 1 bits, where the estimate's floor of 1 item kicks
 * in — overflows, and that ends empty either way. [AND] recomputes M on each trim and lands in the same
 * place; a receiver reads either, since M travels with the filter.
 */
export function buildGcsFilter (hashes: readonly Uint8Array[], options: GcsBuildOptions): BuiltGcsFilter {
  const { maxBytes, maxItems = Infinity } = options
  if ((options.p === undefined) === (options.fpr === undefined)) throw new Error('options: give exactly one of p and fpr')
  const p = options.p ?? gcsP(options.fpr!)
  checkP(p)
  if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new Error('maxBytes: must be a non-negative integer')
  if (maxItems !== Infinity && (!Number.isInteger(maxItems) || maxItems < 0)) throw new Error('maxItems: must be a non-negative integer')

  const count = Math.min(hashes.length, maxItems, gcsCapacity(maxBytes, p))
  if (count === 0) return { p, m: 1, data: new Uint8Array(0), included: 0 }
  const m = Math.min(GCS_MAX_M, count * 2 ** p)
  const data = encodeSorted(sortedDistinct(hashes.slice(0, count).map((h) => gcsValue(h, m))), p)
  if (data.length > maxBytes) return { p, m, data: new Uint8Array(0), included: 0 }
  return { p, m, data, included: count }
}

/**
 * The sorted values a filter holds, read as the phones read it: codes until the bits end or the sum
 * reaches M. Where the phones stop quietly on input no phone writes, this throws DecodeError: P outside
 * 1..32, M outside 1..2^32 − 1, a code cut off by the end, a value ≥ M. The exception is the zero
 * padding of the last byte (under 8 bits after the last 1): a partial code there is padding, and a
 * complete one (only possible for P ≤ 6) is counted like any other — the phones count it too, as a
 * value past the last real one, or stop on it if it reaches M. Returns at most bits/(P + 1) values.
 */
export function decodeGcs (filter: GcsFilter): number[] {
  const { p, m, data } = filter
  if (!Number.isInteger(p) || p < GCS_MIN_P || p > GCS_MAX_P) throw new DecodeError('p', `${p} outside ${GCS_MIN_P}..${GCS_MAX_P}`)
  if (!Number.isInteger(m) || m < 1 || m > GCS_MAX_M) throw new DecodeError('m', `${m} outside 1..${GCS_MAX_M}`)
  const bits = data.length * 8
  const padFrom = lastSetBit(data) + 1
  const values: number[] = []
  let at = 0
  let acc = 0
  while (at < bits) {
    const start = at
    const inPadding = start >= padFrom && bits - start < 8
    while (at < bits && bitAt(data, at) === 1) at++
    if (at === bits) throw new DecodeError('filter', `unary run from bit ${start} runs past the end`)
    const q = at - start
    at++
    if (bits - at < p) {
      if (inPadding) break
      throw new DecodeError('filter', `code at bit ${start} cut off by the end`)
    }
    let r = 0
    for (let i = 0; i < p; i++) r = r * 2 + bitAt(data, at + i)
    at += p
    // acc < M ≤ 2^32 before this, so the sum is exact whenever it can land below M; a huge q only rounds
    // a sum that is past M anyway.
    acc += q * 2 ** p + r + 1
    if (acc >= m) {
      if (inPadding) break
      throw new DecodeError('filter', `value ${acc} at bit ${start} is not below m = ${m}`)
    }
    values.push(acc)
  }
  return values
}

/** Whether a sorted value list (from decodeGcs) holds v: binary search. */
export function gcsHas (sortedValues: readonly number[], v: number): boolean {
  let lo = 0
  let hi = sortedValues.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const x = sortedValues[mid]!
    if (x === v) return true
    if (x < v) lo = mid + 1
    else hi = mid - 1
  }
  return false
}

function checkP (p: number): void {
  if (!Number.isInteger(p) || p < GCS_MIN_P || p > GCS_MAX_P) throw new Error(`p: must be ${GCS_MIN_P}..${GCS_MAX_P}`)
}

function checkM (m: number): void {
  if (!Number.isInteger(m) || m < 1 || m > GCS_MAX_M) throw new Error(`m: must be 1..${GCS_MAX_M}`)
}

function sortedDistinct (values: readonly number[]): number[] {
  const sorted = Float64Array.from(values).sort()
  const out: number[] = []
  for (const v of sorted) if (out.length === 0 || out[out.length - 1] !== v) out.push(v)
  return out
}

/** Bytes of the stream for sorted distinct values ≥ 1, so the encoder allocates once (size-then-write). */
function codedBytes (sorted: readonly number[], p: number): number {
  let bits = 0
  let prev = 0
  for (const v of sorted) {
    bits += Math.floor((v - prev - 1) / 2 ** p) + 1 + p
    prev = v
  }
  return Math.ceil(bits / 8)
}

function encodeSorted (sorted: readonly number[], p: number): Uint8Array {
  const out = new Uint8Array(codedBytes(sorted, p))
  const scale = 2 ** p
  let at = 0
  let prev = 0
  for (const v of sorted) {
    const x = v - prev - 1
    prev = v
    const q = Math.floor(x / scale)
    at = writeOnes(out, at, q) + 1 // the terminating zero is already there
    const r = x - q * scale
    for (let i = p - 1; i >= 0; i--, at++) {
      if (Math.floor(r / 2 ** i) % 2 === 1) out[at >> 3]! |= 0x80 >> (at & 7)
    }
  }
  return out
}

/** Sets n bits from bit `at`, whole bytes at a time in the middle (a small P can make long runs). */
function writeOnes (out: Uint8Array, at: number, n: number): number {
  const end = at + n
  while (at < end && (at & 7) !== 0) { out[at >> 3]! |= 0x80 >> (at & 7); at++ }
  const wholeEnd = end - (end & 7)
  if (at < wholeEnd) { out.fill(0xff, at >> 3, wholeEnd >> 3); at = wholeEnd }
  while (at < end) { out[at >> 3]! |= 0x80 >> (at & 7); at++ }
  return end
}

function bitAt (data: Uint8Array, at: number): number {
  return (data[at >> 3]! >> (7 - (at & 7))) & 1
}

/** Index of the last 1 bit, or −1. */
function lastSetBit (data: Uint8Array): number {
  for (let i = data.length - 1; i >= 0; i--) {
    const b = data[i]!
    if (b !== 0) return i * 8 + 7 - Math.log2(b & -b)
  }
  return -1
}
