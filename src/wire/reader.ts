// Bounded byte reader and exact-size writer shared by every codec in wire/.
// The reader is the only place that touches untrusted offsets: every read names its field so an overrun
// surfaces as DecodeError(field) and never as a RangeError. The writer is sized up front by the encoder
// (size-then-write), so encoding allocates exactly once and never copies; overrunning it is a bug in the
// encoder, hence a plain Error.
import { DecodeError } from './decode-error.js'

/** The big-endian u32 at `at`; the caller has checked that four bytes are there. */
export function u32At (b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!)
}

export class ByteReader {
  private offset: number
  private readonly end: number

  constructor (private readonly buf: Uint8Array, start = 0, end = buf.length) {
    this.offset = start
    this.end = end
  }

  get position (): number { return this.offset }
  get remaining (): number { return this.end - this.offset }

  private need (n: number, field: string): number {
    const at = this.offset
    if (n > this.end - at) {
      throw new DecodeError(field, `needs ${n} byte(s), ${this.end - at} left at offset ${at}`)
    }
    this.offset = at + n
    return at
  }

  u8 (field: string): number {
    return this.buf[this.need(1, field)]!
  }

  u16 (field: string): number {
    const at = this.need(2, field)
    const b = this.buf
    return (b[at]! << 8) | b[at + 1]!
  }

  u32 (field: string): number {
    return u32At(this.buf, this.need(4, field))
  }

  /** The next u32 without consuming it, or null when fewer than 4 bytes are left (for format sniffing). */
  peekU32 (): number | null {
    const at = this.offset
    if (this.end - at < 4) return null
    return u32At(this.buf, at)
  }

  u64 (field: string): bigint {
    const at = this.need(8, field)
    const hi = u32At(this.buf, at)
    const lo = u32At(this.buf, at + 4)
    // Millisecond timestamps fit 53 bits: one BigInt conversion instead of shift-and-or on the hot path.
    if (hi < 0x20_0000) return BigInt(hi * 0x1_0000_0000 + lo)
    return (BigInt(hi) << 32n) | BigInt(lo)
  }

  /** A view (no copy) of the next n bytes; callers that keep it past the frame's life must copy. */
  bytes (n: number, field: string): Uint8Array {
    if (n < 0 || !Number.isInteger(n)) throw new DecodeError(field, `invalid length ${n}`)
    const at = this.need(n, field)
    return this.buf.subarray(at, at + n)
  }

  /** Everything left, as a view. */
  rest (): Uint8Array {
    const at = this.offset
    this.offset = this.end
    return this.buf.subarray(at, this.end)
  }

  skip (n: number, field: string): void {
    this.need(n, field)
  }
}

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER)

export class ByteWriter {
  readonly bytes: Uint8Array
  private offset = 0
  private readonly size: number

  /**
   * `size` bytes are written; `capacity` (≥ size) is allocated, so a caller that appends a tail of its own
   * after finish (padding) needs no second buffer and copy. With `into` at least `capacity` long, its first
   * `capacity` bytes are zeroed and written instead of a new buffer (the caller owns reuse).
   */
  constructor (size: number, capacity = size, into?: Uint8Array) {
    if (capacity < size) throw new Error(`ByteWriter capacity ${capacity} below size ${size}`)
    if (into !== undefined && into.length >= capacity) {
      this.bytes = into.subarray(0, capacity)
      this.bytes.fill(0)
    } else {
      this.bytes = new Uint8Array(capacity)
    }
    this.size = size
  }

  get position (): number { return this.offset }

  private claim (n: number): number {
    const at = this.offset
    if (at + n > this.size) throw new Error(`ByteWriter overrun: ${at}+${n} > ${this.size}`)
    this.offset = at + n
    return at
  }

  u8 (value: number): void {
    this.bytes[this.claim(1)] = value
  }

  u16 (value: number): void {
    const at = this.claim(2)
    this.bytes[at] = value >>> 8
    this.bytes[at + 1] = value
  }

  u32 (value: number): void {
    const at = this.claim(4)
    const b = this.bytes
    b[at] = value >>> 24
    b[at + 1] = value >>> 16
    b[at + 2] = value >>> 8
    b[at + 3] = value
  }

  u64 (value: bigint): void {
    if (value >= 0n && value <= MAX_SAFE_BIGINT) {
      const n = Number(value)
      this.u32(Math.floor(n / 0x1_0000_0000))
      this.u32(n >>> 0)
      return
    }
    this.u32(Number((value >> 32n) & 0xffffffffn))
    this.u32(Number(value & 0xffffffffn))
  }

  write (data: Uint8Array): void {
    this.bytes.set(data, this.claim(data.length))
  }

  /** Writes `data` into exactly `width` bytes: truncated if longer, zero-filled if shorter (peer IDs). */
  writeFixed (data: Uint8Array, width: number): void {
    const at = this.claim(width)
    if (data.length >= width) this.bytes.set(data.subarray(0, width), at)
    else this.bytes.set(data, at) // the rest is already zero
  }

  /** The whole buffer (capacity bytes); exactly `size` must have been written (a mismatch is an encoder bug). */
  finish (): Uint8Array {
    if (this.offset !== this.size) {
      throw new Error(`ByteWriter sized ${this.size} but ${this.offset} written`)
    }
    return this.bytes
  }
}
