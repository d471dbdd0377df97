// A small, fast, seedable PRNG (sfc32, from PractRand's test battery) implementing Random. Tests and the
// simulator derive every random choice from a seed through this; cli/ uses a crypto-backed Random instead.
import type { Random } from './clock.js'

export class SeededRandom implements Random {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor (seed: number | string) {
    // splitmix32 spreads any seed (including small integers and strings) over the 128-bit state.
    let s = typeof seed === 'number' ? seed >>> 0 : hashString(seed)
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = next(); this.b = next(); this.c = next(); this.d = next()
    for (let i = 0; i < 12; i++) this.u32()
  }

  /** Uniform 32-bit unsigned integer. */
  u32 (): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.c = (this.c + t) >>> 0
    return t
  }

  next (): number {
    return this.u32() / 4294967296
  }

  int (maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive)
  }

  bytes (length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i += 4) {
      let v = this.u32()
      for (let j = i; j < Math.min(i + 4, length); j++) { out[j] = v & 0xff; v >>>= 8 }
    }
    return out
  }

  /** An independent stream for another concern, derived deterministically from this one. */
  fork (label: string): SeededRandom {
    return new SeededRandom(`${this.u32()}:${label}`)
  }
}

function hashString (text: string): number {
  // FNV-1a: only to turn a label into a seed, not for anything adversarial.
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}
