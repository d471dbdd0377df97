import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { PeerTable, peerKey, toHex, PEER_STALE_MS } from '../../src/mesh/peers.js'
import { SharedPinPool } from '../../src/mesh/pin-pool.js'

const id = (n: number): Uint8Array => new Uint8Array(8).fill(n)
const keys = (n: number): { noisePublicKey: Uint8Array, signingPublicKey: Uint8Array } => ({ noisePublicKey: new Uint8Array(32).fill(n), signingPublicKey: new Uint8Array(32).fill(n + 1) })

describe('PeerTable', () => {
  test('peers — the first keys are pinned; other keys for the same ID are refused, not replaced', () => {
    const t = new PeerTable()
    expect(t.announce(id(1), 'alice', keys(1), 0)).toBe('new')
    expect(t.announce(id(1), 'alice2', keys(1), 10)).toBe('refreshed')
    expect(t.get(peerKey(id(1)))!.nickname).toBe('alice2')
    expect(t.announce(id(1), 'mallory', keys(5), 20)).toBe('keyMismatch')
    expect(t.pinned(peerKey(id(1)))!.signingPublicKey).toEqual(keys(1).signingPublicKey)
    expect(t.get(peerKey(id(1)))!.nickname).toBe('alice2')
  })

  test('peers — signingKey is a copy of the pinned signing key, for present and absent peers alike', () => {
    const t = new PeerTable()
    for (let n = 1; n <= 100; n++) t.announce(id(n), `p${n}`, keys(n), 0) // past the first growth
    t.remove(peerKey(id(7)))
    for (const n of [1, 7, 50, 100]) {
      const key = t.signingKey(peerKey(id(n)))!
      expect(key).toEqual(keys(n).signingPublicKey)
      expect(key).toEqual(t.pinned(peerKey(id(n)))!.signingPublicKey)
      key.fill(0)
      expect(t.signingKey(peerKey(id(n)))).toEqual(keys(n).signingPublicKey)
    }
    expect(t.signingKey(peerKey(id(101)))).toBeUndefined()
  })

  test('peers — leave and timeout remove presence; the pin outlives both', () => {
    const t = new PeerTable()
    t.announce(id(1), 'a', keys(1), 0)
    t.announce(id(2), 'b', keys(2), 0)
    expect(t.remove(peerKey(id(1)))!.nickname).toBe('a')
    expect(t.size).toBe(1)
    expect(t.expire(PEER_STALE_MS)).toEqual([])
    expect(t.expire(PEER_STALE_MS + 1).map(p => p.nickname)).toEqual(['b'])
    expect(t.size).toBe(0)
    expect(t.announce(id(1), 'x', keys(9), 1)).toBe('keyMismatch')
    expect(t.announce(id(1), 'a', keys(1), 1)).toBe('new')
  })

  test('peers — the announce relay gap counts from the last relayed announce, by the sender\'s timestamps', () => {
    const t = new PeerTable()
    const k = peerKey(id(1))
    expect(t.announceRelayGap(k, 1_000)).toBe(Infinity) // not present
    t.announce(id(1), 'a', keys(1), 0)
    expect(t.announceRelayGap(k, 1_000)).toBe(Infinity) // none relayed yet
    expect(t.announceRelayedAt(k)).toBe(-Infinity)
    t.noteAnnounceRelayed(k, 1_000, 5, true)
    expect([1_000, 31_000, 500].map(ts => t.announceRelayGap(k, ts))).toEqual([Infinity, 30_000, -500])
    t.noteAnnounceRelayed(k, 500, 6, true) // an older one never moves the mark back
    t.noteAnnounceRelayed(k, 31_000, 7, false) // nor does one relayed to some links only
    expect([t.announceRelayGap(k, 61_000), t.announceRelayedAt(k)]).toEqual([60_000, 7])
    t.expire(PEER_STALE_MS + 1)
    t.announce(id(1), 'a', keys(1), PEER_STALE_MS + 2)
    expect(t.announceRelayGap(k, 2_000)).toBe(Infinity) // it came back: a fresh start
  })

  test('peers — hops and the full-fanout bit come from the latest announce; absent peers and unknown distances read 0', () => {
    const t = new PeerTable()
    const [k1, k2, k3] = [1, 2, 3].map(n => peerKey(id(n))) as [string, string, string]
    expect(t.allFullFanout()).toBe(true) // no one present, no one to doubt
    t.announce(id(1), 'a', keys(1), 0, 3, true)
    t.announce(id(2), 'b', keys(2), 0, 0, true) // reassembled: distance unknown
    expect([t.hops(k1), t.hops(k2), t.hops(k3), t.allFullFanout()]).toEqual([3, 0, 0, true])
    t.announce(id(1), 'a', keys(1), 10, 5, false) // a refresh: it moved, and its policy changed
    expect([t.hops(k1), t.allFullFanout()]).toEqual([5, false])
    t.announce(id(1), 'a', keys(9), 20, 1, true) // other keys: refused, nothing changes
    expect([t.hops(k1), t.allFullFanout()]).toEqual([5, false])
    t.remove(k1)
    expect([t.hops(k1), t.allFullFanout()]).toEqual([0, true])
    t.announce(id(1), 'a', keys(1), 30) // back, from a caller that knows neither
    expect([t.hops(k1), t.allFullFanout()]).toEqual([0, false])
  })

  test('peers — hops survive the tables growing, and out-of-range distances read as unknown', () => {
    const t = new PeerTable()
    for (let n = 1; n <= 100; n++) t.announce(id(n), `p${n}`, keys(n), 0, n % 8, true)
    expect(Array.from({ length: 100 }, (_, i) => t.hops(peerKey(id(i + 1))))).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) % 8))
    for (const hops of [-1, 16, NaN]) {
      t.announce(id(1), 'p1', keys(1), 1, hops, true)
      expect(t.hops(peerKey(id(1)))).toBe(0)
    }
  })

  test('peers — the last arrival is the last new or returning peer, not a refresh', () => {
    const t = new PeerTable()
    expect(t.lastArrivalAt).toBe(-Infinity)
    t.announce(id(1), 'a', keys(1), 10)
    t.announce(id(1), 'a', keys(1), 20)
    expect(t.lastArrivalAt).toBe(10)
    t.remove(peerKey(id(1)))
    t.announce(id(1), 'a', keys(1), 30)
    expect(t.lastArrivalAt).toBe(30)
    t.announce(id(2), 'b', keys(2), 40)
    t.announce(id(3), 'c', keys(3), 45)
    t.remove(peerKey(id(3)))
    t.announce(id(3), 'c', keys(8), 50) // other keys: refused, not an arrival
    expect(t.lastArrivalAt).toBe(45)
  })

  test('peers — pins() lists every pin, least recently arrived first, present or not, and a table made from them pins the same', () => {
    const t = new PeerTable({ maxPinned: 3 })
    t.announce(id(1), 'a', keys(1), 0)
    t.announce(id(2), 'b', keys(2), 0)
    t.remove(peerKey(id(1)))
    t.announce(id(3), 'c', keys(3), 0)
    t.announce(id(4), 'd', keys(4), 0) // full: the oldest absent pin (1) goes
    const pins = t.pins()
    expect(pins).toEqual([[toHex(id(2)), keys(2)], [toHex(id(3)), keys(3)], [toHex(id(4)), keys(4)]])
    const again = new PeerTable({ pins })
    expect(again.pins()).toEqual(pins)
    expect(again.size).toBe(0)
    expect(again.announce(id(3), 'impostor', keys(9), 0)).toBe('keyMismatch')
  })

  test('peers — pins from the store apply from the start', () => {
    const t = new PeerTable({ pins: [[toHex(id(3)), keys(3)]] })
    expect(t.announce(id(3), 'impostor', keys(4), 0)).toBe('keyMismatch')
  })

  const short = { noisePublicKey: new Uint8Array(31), signingPublicKey: new Uint8Array(32) }
  test.each<[string, string, { noisePublicKey: Uint8Array, signingPublicKey: Uint8Array }, RegExp]>([
    ['not hex', 'xyz', keys(3), /16 lowercase hex characters, got xyz/],
    ['upper-case hex', 'ABABABABABABABAB', keys(3), /16 lowercase hex/],
    ['a 16-hex tail after junk', `x${toHex(id(3))}`, keys(3), /16 lowercase hex/],
    ['a 16-hex head before junk', `${toHex(id(3))}0`, keys(3), /16 lowercase hex/],
    ['a 31-byte Noise key', toHex(id(3)), short, /pin keys of 0303030303030303 must be 32 bytes each/],
  ])('peers — a stored pin with %s is refused when the table is made', (_, hex, pinKeys, message) => {
    expect(() => new PeerTable({ pins: [[hex, pinKeys]] })).toThrow(message)
  })

  test('peers — a new peer whose keys are not pin-sized is refused and not pinned', () => {
    const t = new PeerTable()
    expect(t.announce(id(1), 'a', short, 0)).toBe('keyMismatch')
    expect(t.pinned(peerKey(id(1)))).toBeUndefined()
    expect(t.size).toBe(0)
  })

  test('peers — IDs that share one half are told apart', () => {
    // The index compares an ID as two 32-bit words: IDs equal in one word must still differ by the other.
    const t = new PeerTable()
    const shared = (n: number, half: 'high' | 'low'): Uint8Array => {
      const b = new Uint8Array(8).fill(0xab)
      b[half === 'high' ? 7 : 0] = n // the other half stays 0xabababab
      return b
    }
    for (let n = 0; n < 40; n++) {
      t.announce(shared(n, 'high'), `h${n}`, keys(n), 0)
      t.announce(shared(n, 'low'), `l${n}`, keys(100 + n), 0)
    }
    for (let n = 0; n < 40; n++) {
      expect(t.get(peerKey(shared(n, 'high')))?.nickname).toBe(`h${n}`)
      expect(t.signingKey(peerKey(shared(n, 'low')))).toEqual(keys(100 + n).signingPublicKey)
    }
    for (let n = 40; n < 80; n++) {
      expect(t.pinned(peerKey(shared(n, 'high')))).toBeUndefined()
      expect(t.pinned(peerKey(shared(n, 'low')))).toBeUndefined()
    }
  })

  test('peers — the pin table is bounded, absent peers\' pins go first', () => {
    const t = new PeerTable({ maxPinned: 2 })
    t.announce(id(1), 'a', keys(1), 0)
    t.remove(peerKey(id(1)))
    t.announce(id(2), 'b', keys(2), 0)
    t.announce(id(3), 'c', keys(3), 0)
    expect(t.pinned(peerKey(id(1)))).toBeUndefined()
    expect(t.pinned(peerKey(id(2)))).toBeDefined()
  })

  test('peers — a peer\'s ID and keys are its own copies: changing the announce\'s arrays afterwards changes nothing', () => {
    const t = new PeerTable()
    const pid = new Uint8Array([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef])
    const k = keys(7)
    t.announce(pid, 'g', k, 5)
    const peer = t.get(peerKey(pid))!
    pid.fill(0)
    k.noisePublicKey.fill(0)
    k.signingPublicKey.fill(0)
    expect(peer.id).toEqual(new Uint8Array([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]))
    expect(peer.idHex).toBe('0123456789abcdef')
    expect(peer.noisePublicKey).toEqual(keys(7).noisePublicKey)
    expect(peer.signingPublicKey).toEqual(keys(7).signingPublicKey)
    const pin = t.pinned(peerKey(new Uint8Array([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef])))!
    expect(pin.noisePublicKey).toEqual(keys(7).noisePublicKey)
    expect(pin.signingPublicKey).toEqual(keys(7).signingPublicKey)
    const again = new Uint8Array([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef])
    expect(t.announce(again, 'g2', keys(7), 6)).toBe('refreshed')
    expect(t.get(peerKey(again))).toMatchObject({ lastSeen: 6, firstSeen: 5, nickname: 'g2' })
    expect(peer).toMatchObject({ lastSeen: 5, nickname: 'g' }) // a snapshot: the refresh did not change it
  })

  test('peers — keys of other lengths than the pin are a mismatch', () => {
    const t = new PeerTable()
    t.announce(id(1), 'a', keys(1), 0)
    const short = { noisePublicKey: keys(1).noisePublicKey.subarray(0, 31), signingPublicKey: keys(1).signingPublicKey }
    expect(t.announce(id(1), 'a', short, 1)).toBe('keyMismatch')
  })

  test('peers — pins evicted from inside probe chains leave every other pin findable', () => {
    // Random IDs and a bound of 64: from the 65th pin on, every announce evicts one (its peer left first),
    // so deletions land all over the index's probe chains.
    const t = new PeerTable({ maxPinned: 64 })
    let state = 7
    const randomId = (): Uint8Array => Uint8Array.from({ length: 8 }, () => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state >>> 24 })
    const pinnedIds: Uint8Array[] = []
    for (let n = 0; n < 500; n++) {
      const pid = randomId()
      expect(t.announce(pid, 'p', keys(n % 200), n)).toBe('new')
      t.remove(peerKey(pid))
      pinnedIds.push(pid)
      if (pinnedIds.length > 64) pinnedIds.shift()
      for (const [i, kept] of pinnedIds.entries()) expect(t.pinned(peerKey(kept))?.noisePublicKey[0], `pin ${i} after ${n}`).toBe((n - pinnedIds.length + 1 + i) % 200)
    }
  })

  test('peers — a returning peer becomes the newest arrival: a friend who comes back keeps the pin while strangers pass', () => {
    const t = new PeerTable({ maxPinned: 3 })
    const friend = id(1)
    t.announce(friend, 'friend', keys(1), 0)
    t.remove(peerKey(friend))
    for (let n = 2; n <= 7; n++) {
      t.announce(id(n), `stranger ${n}`, keys(n), n)
      t.remove(peerKey(id(n)))
      if (n % 2 === 0) { // the friend comes by between every two strangers
        expect(t.announce(friend, 'friend', keys(1), n)).toBe('new')
        t.remove(peerKey(friend))
      }
    }
    expect(t.announce(friend, 'impostor', keys(9), 8)).toBe('keyMismatch')
    expect(t.pins().map(([hex]) => hex)).toEqual([toHex(id(6)), toHex(friend), toHex(id(7))])
  })

  test('peers — evicting the newest pin keeps the pin order for the ones after it', () => {
    const t = new PeerTable({ maxPinned: 2 })
    t.announce(id(1), 'a', keys(1), 0)
    t.announce(id(2), 'b', keys(2), 0)
    t.remove(peerKey(id(2)))
    t.announce(id(3), 'c', keys(3), 0) // evicts b, the newest pin
    t.announce(id(4), 'd', keys(4), 0) // all present: nothing to evict
    expect(t.list().map(p => p.nickname)).toEqual(['a', 'c', 'd'])
    t.remove(peerKey(id(1)))
    t.remove(peerKey(id(4)))
    t.announce(id(5), 'e', keys(5), 0) // evicts a, the oldest absent
    expect(t.pinned(peerKey(id(1)))).toBeUndefined()
    expect(t.list().map(p => p.nickname)).toEqual(['c', 'e'])
    expect(t.pinned(peerKey(id(4)))).toBeDefined()
  })

  test('peers — agrees with a plain map model under random announces, leaves, expiry and relay marks', () => {
    // Few IDs, two key sets each and a small pin bound, so pins are evicted, slots reused and the arrays grow.
    const op = fc.oneof(
      fc.record({ kind: fc.constant('announce' as const), who: fc.integer({ min: 0, max: 40 }), keySet: fc.integer({ min: 0, max: 1 }), nick: fc.constantFrom('a', 'b') }),
      fc.record({ kind: fc.constant('remove' as const), who: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant('relayed' as const), who: fc.integer({ min: 0, max: 40 }), ts: fc.integer({ min: 0, max: 100 }), everywhere: fc.boolean() }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 60 }) }),
    )
    fc.assert(fc.property(fc.integer({ min: 1, max: 24 }), fc.array(op, { maxLength: 300 }), (maxPinned, ops) => {
      const staleMs = 100
      const t = new PeerTable({ staleMs, maxPinned })
      const pins = new Map<number, number>() // who → key set; insertion order is the order of latest arrival
      const present = new Map<number, { nick: string, first: number, last: number, ts: number, at: number }>()
      let now = 0
      for (const o of ops) {
        if (o.kind === 'wait') {
          now += o.ms
          const gone = t.expire(now).map(p => p.id[0]!).sort((x, y) => x - y)
          const expected = [...present].filter(([, p]) => now - p.last > staleMs).map(([who]) => who).sort((x, y) => x - y)
          for (const who of expected) present.delete(who)
          expect(gone).toEqual(expected)
        } else if (o.kind === 'remove') {
          expect(t.remove(peerKey(id(o.who)))?.nickname).toBe(present.get(o.who)?.nick)
          present.delete(o.who)
        } else if (o.kind === 'relayed') {
          t.noteAnnounceRelayed(peerKey(id(o.who)), o.ts, now, o.everywhere)
          const p = present.get(o.who)
          if (p !== undefined) { p.at = now; if (o.everywhere && o.ts > p.ts) p.ts = o.ts }
        } else {
          const outcome = t.announce(id(o.who), o.nick, keys(o.who * 2 + o.keySet), now)
          const pinned = pins.get(o.who)
          let expected: string
          if (pinned !== undefined && pinned !== o.keySet) expected = 'keyMismatch'
          else if (present.has(o.who)) { expected = 'refreshed'; const p = present.get(o.who)!; p.nick = o.nick; p.last = now } else {
            if (pinned === undefined) {
              if (pins.size >= maxPinned) {
                const old = [...pins.keys()].find(w => !present.has(w))
                if (old !== undefined) pins.delete(old)
              }
            } else {
              pins.delete(o.who) // back: now the newest arrival
            }
            pins.set(o.who, o.keySet)
            expected = 'new'
            present.set(o.who, { nick: o.nick, first: now, last: now, ts: -Infinity, at: -Infinity })
          }
          expect(outcome).toBe(expected)
        }
        expect(t.size).toBe(present.size)
        // The whole table against the model after every step. vitest's matcher is slow enough to be most of
        // a 300-step run's time, so node's deep equality decides and the matcher only reports a difference.
        const actual = []
        const wanted = []
        for (let who = 0; who <= 40; who++) {
          const k = peerKey(id(who))
          const p = present.get(who)
          const got = t.get(k)
          const keySet = pins.get(who)
          actual.push({
            who,
            peer: got === undefined ? undefined : { nick: got.nickname, first: got.firstSeen, last: got.lastSeen, signing: got.signingPublicKey },
            relayedAt: t.announceRelayedAt(k),
            pinnedNoise: t.pinned(k)?.noisePublicKey,
          })
          wanted.push({
            who,
            peer: p === undefined ? undefined : { nick: p.nick, first: p.first, last: p.last, signing: keys(who * 2 + keySet!).signingPublicKey },
            relayedAt: p?.at ?? -Infinity,
            pinnedNoise: keySet === undefined ? undefined : keys(who * 2 + keySet).noisePublicKey,
          })
        }
        if (!isDeepStrictEqual(actual, wanted)) expect(actual).toEqual(wanted)
        expect(t.list().map(p => p.id[0]).sort((x, y) => x! - y!)).toEqual([...present.keys()].sort((x, y) => x - y))
      }
    }), { numRuns: 300 })
  })

  test('peers — tables sharing a pin pool store each identity once and still refuse other keys', () => {
    const pool = new SharedPinPool()
    const a = new PeerTable({ pinPool: pool })
    const b = new PeerTable({ pinPool: pool, maxPinned: 2 })
    for (let n = 1; n <= 40; n++) a.announce(id(n), `p${n}`, keys(n), 0)
    for (let n = 40; n >= 1; n--) { b.announce(id(n), `p${n}`, keys(n), 0); b.remove(peerKey(id(n))) } // b keeps evicting: 2 pins
    expect(pool.size).toBe(40)
    expect(a.announce(id(3), 'mallory', keys(9), 1)).toBe('keyMismatch')
    expect(b.announce(id(2), 'mallory', keys(9), 1)).toBe('keyMismatch')
    for (const n of [1, 3, 40]) expect(a.pinned(peerKey(id(n)))).toEqual(keys(n))
    expect(b.pinned(peerKey(id(1)))).toEqual(keys(1))
    expect(b.pinned(peerKey(id(40)))).toBeUndefined()
    expect(b.announce(id(1), 'p1', keys(1), 2)).toBe('new')
    expect(b.get(peerKey(id(1)))!.signingPublicKey).toEqual(keys(1).signingPublicKey)
    a.announce(id(1), 'renamed', keys(1), 3)
    expect(a.get(peerKey(id(1)))!.nickname).toBe('renamed')
    expect(b.get(peerKey(id(1)))!.nickname).toBe('p1')
  })
})

describe('toHex', () => {
  test('toHex — lowercase, two digits a byte, across the chunk boundary', () => {
    const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 37) & 0xff)
    expect(toHex(bytes)).toBe(Buffer.from(bytes).toString('hex'))
    expect(toHex(new Uint8Array(0))).toBe('')
  })
})
