import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { DedupTable, fragmentKeyInto, frameKeyInto, keyCheck, keySeed, packetKeyInto, DEDUP_MAX_AGE_MS, KEY_UNITS, LINK_SLOTS } from '../../src/mesh/dedup.js'
import type { CryptoProvider } from '../../src/crypto/provider.js'
import type { Packet } from '../../src/wire/packet-types.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { decodePacket, emptyFrameHeader, encodePacket, peekHeader } from '../../src/wire/packet.js'
import { packetArb } from '../wire/arbitraries.js'
import { sha256 } from '@noble/hashes/sha2.js'

const crypto = { sha256: (d: Uint8Array) => sha256(d) } as unknown as CryptoProvider

function packet (over: Partial<Packet> = {}): Packet {
  return {
    version: 1, type: 2, ttl: 7, timestamp: 1_700_000_000_000n, senderId: new Uint8Array(8).fill(1),
    recipientId: null, route: [], payload: Uint8Array.of(1, 2, 3), isCompressed: false, isRSR: false, signature: null, ...over,
  }
}

function packetKey (p: Packet): number[] {
  const out = new Uint16Array(KEY_UNITS)
  packetKeyInto(out, crypto, p)
  return [...out]
}

function fragmentKey (...args: [Uint8Array, Uint8Array, number, number, number]): number[] {
  const out = new Uint16Array(KEY_UNITS)
  fragmentKeyInto(out, ...args)
  return [...out]
}

/** Puts a small number into the table's key scratch. */
function keyed<R> (table: DedupTable<R>, n: number): DedupTable<R> {
  table.key.fill(0)
  table.key[0] = n & 0xffff
  table.key[1] = n >>> 16
  return table
}

describe('dedup', () => {
  test('dedup — entries expire on the injected clock, not wall time', () => {
    const clock = new ManualClock(0)
    const table = new DedupTable(clock)
    const handle = keyed(table, 1).add(7, true)
    clock.advance(DEDUP_MAX_AGE_MS)
    expect(keyed(table, 1).find()).toBe(handle)
    clock.advance(1)
    expect(keyed(table, 1).find()).toBe(0)
    expect(table.size).toBe(0)
    expect(table.has(handle)).toBe(false)
  })

  test('dedup — bounded by entries, the oldest goes first', () => {
    const table = new DedupTable(new ManualClock(), { maxEntries: 3 })
    const handles = [1, 2, 3, 4].map(n => keyed(table, n).add(7, true))
    expect(keyed(table, 1).find()).toBe(0)
    expect([2, 3, 4].map(n => keyed(table, n).find())).toEqual(handles.slice(1))
    expect(table.size).toBe(3)
  })

  test('dedup — a stale handle reads as no entry and ignores writes', () => {
    const table = new DedupTable<string>(new ManualClock(), { maxEntries: 1 })
    const old = keyed(table, 1).add(5, false)
    table.attach(old, 'relay')
    const fresh = keyed(table, 2).add(3, false)
    expect([table.has(old), table.ttl(old), table.verified(old), table.attachment(old), table.copyTtl(old, 0)]).toEqual([false, 0, false, undefined, -1])
    table.setTtl(old, 7); table.markVerified(old); table.recordCopy(old, 0, 6); table.attach(old, 'late')
    expect([table.ttl(fresh), table.verified(fresh), table.copyTtl(fresh, 0), table.attachment(fresh)]).toEqual([3, false, -1, undefined])
  })

  test('dedup — an attachment goes with its entry, pushed out or expired, and never passes to the next', () => {
    const clock = new ManualClock(0)
    const table = new DedupTable<string>(clock, { maxEntries: 3 })
    const [a, b] = [1, 2].map(n => keyed(table, n).add(7, true))
    clock.advance(10)
    const c = keyed(table, 3).add(7, true)
    for (const [h, v] of [[a, 'a'], [b, 'b'], [c, 'c']] as const) table.attach(h!, v)
    clock.advance(DEDUP_MAX_AGE_MS - 9)
    expect(keyed(table, 2).find()).toBe(0) // expired: b's ring position empties in the middle
    const d = keyed(table, 4).add(7, true) // pushes out a
    const e = keyed(table, 5).add(7, true) // takes b's empty position
    expect([a, b, c, d, e].map(h => table.attachment(h!))).toEqual([undefined, undefined, 'c', undefined, undefined])
    expect([a, b, c, d, e].map(h => table.has(h!))).toEqual([false, false, true, true, true])
    keyed(table, 6).add(7, true) // pushes out c
    expect(table.attachment(c!)).toBeUndefined()
  })

  test('dedup — detachAll hands over every attachment once and leaves the entries', () => {
    const table = new DedupTable<string>(new ManualClock(0))
    const [a, b, c] = [1, 2, 3].map(n => keyed(table, n).add(7, true))
    table.attach(a!, 'a'); table.attach(c!, 'c')
    expect(table.attachments).toBe(2)
    const handed: string[] = []
    table.detachAll(v => handed.push(v))
    expect(handed.sort()).toEqual(['a', 'c'])
    expect([table.attachments, table.attachment(a!), table.attachment(c!)]).toEqual([0, undefined, undefined])
    expect([a, b, c].map(h => table.has(h!))).toEqual([true, true, true])
  })

  test('dedup — copy records keep the best TTL per link slot; a freed slot is forgotten everywhere', () => {
    const table = new DedupTable(new ManualClock())
    const a = keyed(table, 1).add(7, true)
    const b = keyed(table, 2).add(7, true)
    for (const [slot, ttl] of [[0, 3], [0, 5], [0, 4], [9, 0], [LINK_SLOTS - 1, 7]] as const) table.recordCopy(a, slot, ttl)
    table.recordCopy(b, 9, 2)
    expect([0, 1, 9, LINK_SLOTS - 1].map(slot => table.copyTtl(a, slot))).toEqual([5, -1, 0, 7])
    expect([-1, LINK_SLOTS].map(slot => table.copyTtl(a, slot))).toEqual([-1, -1])
    table.forgetLinkSlot(9)
    expect([table.copyTtl(a, 9), table.copyTtl(b, 9), table.copyTtl(a, 0), table.copyTtl(a, LINK_SLOTS - 1)]).toEqual([-1, -1, 5, 7])
    table.forgetLinkSlot(0)
    expect([table.copyTtl(a, 0), table.copyTtl(a, LINK_SLOTS - 1)]).toEqual([-1, 7])
  })

  test.each([[1_000], [70_000]])('dedup — with %i entries (a 16- or 32-bit index) the ring keeps exactly the newest', (capacity) => {
    const table = new DedupTable(new ManualClock(0), { maxEntries: capacity })
    const added = capacity + 500
    for (let n = 0; n < added; n++) keyed(table, n).add(1, false)
    expect(table.size).toBe(capacity)
    for (const n of [0, 499]) expect(keyed(table, n).find()).toBe(0)
    // 65 534 and up are the ring positions a 16-bit index could not name.
    for (const n of [500, 501, 65_534, capacity - 1, added - 1]) if (n < added) expect(keyed(table, n).find()).toBe(n + 1)
  })

  test.each([[0], [-1], [1.5], [Number.NaN]])('dedup — maxEntries %s is refused', (maxEntries) => {
    expect(() => new DedupTable(new ManualClock(), { maxEntries })).toThrow(/dedup maxEntries must be a positive integer/)
  })

  test('dedup — a one-entry table works', () => {
    const table = new DedupTable(new ManualClock(), { maxEntries: 1 })
    const handle = keyed(table, 1).add(4, false)
    expect([keyed(table, 1).find(), table.ttl(handle), table.size]).toEqual([handle, 4, 1])
  })

  test('dedup — every ring position keeps its own fields, and a reused position starts clean', () => {
    const capacity = 5
    const table = new DedupTable<string>(new ManualClock(), { maxEntries: capacity })
    const first = [0, 1, 2, 3, 4].map(n => keyed(table, n).add(n + 1, false))
    first.forEach((h, n) => {
      table.recordCopy(h, n, 6); table.recordCopy(h, LINK_SLOTS - 1, n)
      for (let u = 0; u < n; u++) table.countUpgrade(h)
      if (n % 2 === 1) table.markVerified(h)
      table.setTtl(h, 7 - n)
    })
    expect(first.map(h => [table.ttl(h), table.upgrades(h), table.verified(h), table.copyTtl(h, first.indexOf(h)), table.copyTtl(h, LINK_SLOTS - 1)]))
      .toEqual([0, 1, 2, 3, 4].map(n => [7 - n, n, n % 2 === 1, 6, n]))
    const second = [5, 6, 7, 8, 9].map(n => {
      const h = keyed(table, n).add(2, n === 9)
      const copies = Array.from({ length: LINK_SLOTS }, (_, slot) => table.copyTtl(h, slot))
      expect([table.ttl(h), table.upgrades(h), table.verified(h), copies.every(t => t === -1)]).toEqual([2, 0, n === 9, true])
      table.recordCopy(h, 2, 5)
      return h
    })
    // Cleaning a reused position leaves the positions around it alone.
    expect(second.map(h => table.copyTtl(h, 2))).toEqual([5, 5, 5, 5, 5])
  })

  test('dedup — a handle not yet given, or given and pushed out, names no entry', () => {
    const table = new DedupTable(new ManualClock(), { maxEntries: 3 })
    const handles = [1, 2, 3, 4, 5].map(n => keyed(table, n).add(7, true))
    const last = handles[4]!
    expect([0, ...handles, last + 1, last + 3].map(h => table.has(h))).toEqual([false, false, false, true, true, true, false, false])
  })

  test('dedup — seed is the key\'s 32-bit hash while the entry lives, then 0', () => {
    const table = new DedupTable(new ManualClock(), { maxEntries: 1 })
    const handle = keyed(table, 7).add(7, true)
    const hash = keySeed(table.key)
    expect(table.seed(handle)).toBe(hash)
    expect(hash).not.toBe(0)
    keyed(table, 8).add(7, true)
    expect(table.seed(handle)).toBe(0)
  })

  test('dedup — upgrades count per entry and ignore a stale handle', () => {
    const table = new DedupTable(new ManualClock(), { maxEntries: 2 })
    const [a, b] = [1, 2].map(n => keyed(table, n).add(7, true))
    table.countUpgrade(a!); table.countUpgrade(a!); table.countUpgrade(b!)
    expect([table.upgrades(a!), table.upgrades(b!)]).toEqual([2, 1])
    const c = keyed(table, 3).add(7, true) // pushes out a, into a's ring position
    table.countUpgrade(a!)
    expect([table.upgrades(a!), table.upgrades(c)]).toEqual([0, 0])
  })

  test.each([[-1], [LINK_SLOTS], [LINK_SLOTS + 7]])('dedup — link slot %i is out of range: read as no copy, written and forgotten nowhere', (outside) => {
    const table = new DedupTable(new ManualClock())
    const handles = [1, 2, 3].map(n => keyed(table, n).add(7, true))
    for (const h of handles) for (let slot = 0; slot < LINK_SLOTS; slot++) table.recordCopy(h, slot, 3)
    const middle = handles[1]!
    table.recordCopy(middle, outside, 7)
    table.forgetLinkSlot(outside)
    expect(table.copyTtl(middle, outside)).toBe(-1)
    for (const h of handles) expect(Array.from({ length: LINK_SLOTS }, (_, slot) => table.copyTtl(h, slot))).toEqual(new Array(LINK_SLOTS).fill(3))
  })

  test('dedup — attaching nothing detaches; attaching to a stale handle holds nothing', () => {
    const table = new DedupTable<string>(new ManualClock(), { maxEntries: 1 })
    const old = keyed(table, 1).add(7, true)
    table.attach(old, 'relay')
    table.attach(old, undefined)
    expect([table.attachment(old), table.attachments]).toEqual([undefined, 0])
    keyed(table, 2).add(7, true)
    table.attach(old, 'late')
    expect(table.attachments).toBe(0)
  })

  test('dedup — two keys with the same 32-bit hash stay apart (the second hash decides)', () => {
    // A birthday search over pseudo-random keys finds an FNV-1a collision within ~10^5 keys.
    const table = new DedupTable(new ManualClock(0))
    let state = 12345
    const fill = (out: Uint16Array): void => { for (let i = 0; i < KEY_UNITS; i++) { state = (Math.imul(state, 1103515245) + 12345) >>> 0; out[i] = state >>> 16 } }
    const seen = new Map<number, Uint16Array>()
    let pair: [Uint16Array, Uint16Array] | undefined
    for (let n = 0; pair === undefined && n < 1_000_000; n++) {
      const key = new Uint16Array(KEY_UNITS)
      fill(key)
      const other = seen.get(keySeed(key))
      if (other === undefined) seen.set(keySeed(key), key)
      else pair = [other, key]
    }
    expect(pair).toBeDefined()
    const [a, b] = pair!
    expect(keyCheck(a)).not.toBe(keyCheck(b))
    table.key.set(a)
    const handle = table.add(3, false)
    table.key.set(b)
    expect(table.find()).toBe(0)
    table.key.set(a)
    expect(table.find()).toBe(handle)
  })

  test('dedup — agrees with a plain first-in-first-out model under random adds, finds and time', () => {
    // Small key space and capacity so probes collide, entries are evicted and expire mid-run.
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), key: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant('find' as const), key: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 400 }) }),
    )
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 300 }), (capacity, ops) => {
      const clock = new ManualClock(0)
      const maxAgeMs = 1_000
      const table = new DedupTable(clock, { maxEntries: capacity, maxAgeMs })
      const model: Array<{ key: number, at: number, handle: number }> = []
      const alive = (): typeof model => model.filter(e => clock.now() - e.at <= maxAgeMs)
      for (const o of ops) {
        if (o.kind === 'wait') { clock.advance(o.ms); continue }
        const expected = alive().find(e => e.key === o.key)
        const found = keyed(table, o.key).find()
        expect(found).toBe(expected?.handle ?? 0)
        if (o.kind === 'add' && found === 0) {
          const handle = keyed(table, o.key).add(1, false)
          const stale = model.findIndex(e => e.key === o.key)
          if (stale >= 0) model.splice(stale, 1)
          model.push({ key: o.key, at: clock.now(), handle })
          // The ring overwrites the entry `capacity` adds back, whether or not it had expired.
          for (let i = model.length - 1; i >= 0; i--) if (model[i]!.handle <= handle - capacity) model.splice(i, 1)
        }
        expect(table.size).toBeLessThanOrEqual(capacity)
      }
    }), { numRuns: 2_000 })
  })

  test.each([
    ['sender', { senderId: new Uint8Array(8).fill(2) }],
    ['timestamp', { timestamp: 1_700_000_000_001n }],
    ['type', { type: 3 }],
    ['payload', { payload: Uint8Array.of(1, 2, 4) }],
  ] as Array<[string, Partial<Packet>]>)('dedup — the packet key changes with the %s', (_, change) => {
    expect(packetKey(packet(change))).not.toEqual(packetKey(packet()))
  })

  test.each([
    ['TTL', { ttl: 3 }],
    ['signature', { signature: new Uint8Array(64).fill(9) }],
  ] as Array<[string, Partial<Packet>]>)('dedup — the packet key ignores the %s (relayed and forged copies collide)', (_, change) => {
    expect(packetKey(packet(change))).toEqual(packetKey(packet()))
  })

  // A provider may hash in place (`sha256Into`, the simulator's): the key must not depend on which way.
  const inPlace = { sha256: crypto.sha256, sha256Into: (d: Uint8Array, s: number, e: number, out: Uint8Array) => out.set(sha256(d.subarray(s, e))) } as unknown as CryptoProvider
  test.each([
    ['hashes a copy of the payload', crypto],
    ['hashes the payload in place', inPlace],
  ])('dedup — a frame\'s key from its header equals the key of the packet it decodes to, when the provider %s', (_, provider) => {
    fc.assert(fc.property(packetArb(80), fc.boolean(), (p, pad) => {
      const frame = encodePacket(p, { pad })
      const header = emptyFrameHeader()
      fc.pre(peekHeader(frame, header))
      const out = new Uint16Array(KEY_UNITS)
      frameKeyInto(out, provider, frame, header)
      expect([...out]).toEqual(packetKey(decodePacket(frame)))
    }), { numRuns: 2_000 })
  })

  test('dedup — the packet key is type, sender, timestamp halves and the first 8 digest bytes', () => {
    const digest = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i)
    const fixed = { sha256: () => digest } as unknown as CryptoProvider
    const p = packet({ type: 0x11, senderId: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), timestamp: 0x0102030405060708n })
    const key = new Uint16Array(KEY_UNITS)
    packetKeyInto(key, fixed, p)
    const expected = [0x11, 0x0102, 0x0304, 0x0506, 0x0708, 0x0102, 0x0304, 0x0506, 0x0708, 0xa0a1, 0xa2a3, 0xa4a5, 0xa6a7]
    expect([...key]).toEqual(expected)
    const frame = encodePacket(p)
    const header = emptyFrameHeader()
    expect(peekHeader(frame, header)).toBe(true)
    frameKeyInto(key.fill(0), fixed, frame, header)
    expect([...key]).toEqual(expected)
  })

  test('dedup — fragment keys differ by sender, fragment ID, index, total and type', () => {
    const s = new Uint8Array(8).fill(1)
    const f = new Uint8Array(8).fill(2)
    const base = fragmentKey(s, f, 0, 3, 2)
    expect(fragmentKey(s, f, 1, 3, 2)).not.toEqual(base)
    expect(fragmentKey(new Uint8Array(8).fill(3), f, 0, 3, 2)).not.toEqual(base)
    expect(fragmentKey(s, new Uint8Array(8).fill(3), 0, 3, 2)).not.toEqual(base)
    expect(fragmentKey(s, f, 0, 4, 2)).not.toEqual(base)
    expect(fragmentKey(s, f, 0, 3, 1)).not.toEqual(base)
    expect(fragmentKey(s.slice(), f.slice(), 0, 3, 2)).toEqual(base)
  })
})
