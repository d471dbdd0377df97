// Where peer tables keep what a peer is known by: the bytes of its pin (its 32-byte Noise key then its
// 32-byte signing key) and its nickname. A node's table has a pool of its own. A simulation gives all its
// virtual nodes one shared pool: every node pins the same few hundred neighbours, so at 10 000 nodes the
// tables held 64 bytes × ~390 slots × 10 000 ≈ 250 MB of copies of 10 000 pins, and ~80 MB of copies of
// their nicknames (slots per table measured at 3 000 nodes: 323 pins in 393 slots).

import { ANNOUNCE_KEY_BYTES } from '../wire/announce.js'
import { u32At } from '../wire/reader.js'
import { mixWords, widened } from './slots.js'

/** Bytes of a pin: the Noise key then the signing key, both 32 bytes (the announce codec refuses others). */
export const PIN_BYTES = 2 * ANNOUNCE_KEY_BYTES
/** Pins a pool has room for at first; it grows by half when full. */
const INITIAL_PINS = 16

export interface PinPool {
  /** A handle for these keys (32 bytes each); each call takes one, given back with `release`. */
  acquire (noise: Uint8Array, signing: Uint8Array): number
  release (handle: number): void
  /** `nickname`, or an equal string the pool already keeps for this handle's peer (one string, many tables). */
  name (handle: number, nickname: string): string
  /** Every pin's bytes: a handle's pin starts at handle × PIN_BYTES. `acquire` may replace the array. */
  readonly bytes: Uint8Array
}

/** One table's pins: a handle is a place in the array, reused once released. */
export class LocalPinPool implements PinPool {
  bytes = new Uint8Array(INITIAL_PINS * PIN_BYTES)
  private used = 0
  private readonly freed: number[] = []

  acquire (noise: Uint8Array, signing: Uint8Array): number {
    let handle = this.freed.pop()
    if (handle === undefined) {
      handle = this.used++
      if (this.used * PIN_BYTES > this.bytes.length) this.bytes = widened(this.bytes, (this.used + (this.used >> 1)) * PIN_BYTES)
    }
    write(this.bytes, handle, noise, signing)
    return handle
  }

  release (handle: number): void {
    this.freed.push(handle)
  }

  name (_handle: number, nickname: string): string {
    return nickname
  }
}

/**
 * Pins shared by content: equal keys get the same handle. Nothing is released, so the pool holds every
 * pin any table ever took: fine in a simulation, whose identities are fixed (a restarted node keeps its
 * keys), and wrong for a node facing forged announces under ever new keys, which is why nodes default
 * to a pool of their own.
 */
export class SharedPinPool implements PinPool {
  bytes = new Uint8Array(INITIAL_PINS * PIN_BYTES)
  private count = 0
  /** Open addressing, linear probing: handle + 1, 0 empty; at least twice the pins, a power of two. */
  private table = new Int32Array(INITIAL_PINS * 2)
  /** The nickname last given for each handle: decoded afresh by every node, kept once here. */
  private readonly names: string[] = []

  get size (): number {
    return this.count
  }

  acquire (noise: Uint8Array, signing: Uint8Array): number {
    const mask = this.table.length - 1
    let p = pinHash(noise, signing) & mask
    for (; this.table[p] !== 0; p = (p + 1) & mask) {
      const handle = this.table[p]! - 1
      if (pinEquals(this.bytes, handle, noise, signing)) return handle
    }
    const handle = this.count++
    if (this.count * PIN_BYTES > this.bytes.length) this.bytes = widened(this.bytes, this.count * 2 * PIN_BYTES)
    write(this.bytes, handle, noise, signing)
    if (this.count * 2 > this.table.length) this.rehash()
    else this.table[p] = handle + 1
    return handle
  }

  release (_handle: number): void {}

  name (handle: number, nickname: string): string {
    const kept = this.names[handle]
    if (kept === nickname) return kept
    this.names[handle] = nickname
    return nickname
  }

  private rehash (): void {
    this.table = new Int32Array(this.table.length * 2)
    const mask = this.table.length - 1
    const bytes = this.bytes
    for (let handle = 0; handle < this.count; handle++) {
      const at = handle * PIN_BYTES
      let p = pinHash(bytes.subarray(at, at + ANNOUNCE_KEY_BYTES), bytes.subarray(at + ANNOUNCE_KEY_BYTES, at + PIN_BYTES)) & mask
      while (this.table[p] !== 0) p = (p + 1) & mask
      this.table[p] = handle + 1
    }
  }
}

/** Whether the pin at `handle` in a pool's `bytes` is these keys (32 bytes each), byte for byte. */
export function pinEquals (bytes: Uint8Array, handle: number, noise: Uint8Array, signing: Uint8Array): boolean {
  const at = handle * PIN_BYTES
  for (let i = 0; i < ANNOUNCE_KEY_BYTES; i++) if (bytes[at + i] !== noise[i] || bytes[at + ANNOUNCE_KEY_BYTES + i] !== signing[i]) return false
  return true
}

function write (bytes: Uint8Array, handle: number, noise: Uint8Array, signing: Uint8Array): void {
  bytes.set(noise, handle * PIN_BYTES)
  bytes.set(signing, handle * PIN_BYTES + ANNOUNCE_KEY_BYTES)
}

/** Keys are hash or curve output, so their first words, mixed, spread well enough. */
function pinHash (noise: Uint8Array, signing: Uint8Array): number {
  return mixWords(u32At(noise, 0), u32At(signing, 0))
}
