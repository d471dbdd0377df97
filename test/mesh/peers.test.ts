import { describe, expect, test } from 'vitest'
import { PeerTable, peerKey, toHex, PEER_STALE_MS } from '../../src/mesh/peers.js'

const id = (n: number): Uint8Array => new Uint8Array(8).fill(n)
const keys = (n: number): { noisePublicKey: Uint8Array, signingPublicKey: Uint8Array } => ({ noisePublicKey: new Uint8Array(32).fill(n), signingPublicKey: new Uint8Array(32).fill(n + 1) })

describe('PeerTable', () => {
  test('peers — the first keys are pinned; other keys for the same ID are refused, not replaced', () => {
    const t = new PeerTable()
    expect(t.announce(id(1), 'alice', keys(1), 0).outcome).toBe('new')
    expect(t.announce(id(1), 'alice2', keys(1), 10).outcome).toBe('refreshed')
    expect(t.get(peerKey(id(1)))!.nickname).toBe('alice2')
    expect(t.announce(id(1), 'mallory', keys(5), 20)).toEqual({ outcome: 'keyMismatch', peer: null })
    expect(t.pinned(peerKey(id(1)))!.signingPublicKey).toEqual(keys(1).signingPublicKey)
    expect(t.get(peerKey(id(1)))!.nickname).toBe('alice2')
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
    expect(t.announce(id(1), 'x', keys(9), 1).outcome).toBe('keyMismatch')
    expect(t.announce(id(1), 'a', keys(1), 1).outcome).toBe('new')
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

  test('peers — pins from the store apply from the start', () => {
    const t = new PeerTable({ pins: [[toHex(id(3)), keys(3)]] })
    expect(t.announce(id(3), 'impostor', keys(4), 0).outcome).toBe('keyMismatch')
    expect(() => new PeerTable({ pins: [['xyz', keys(3)]] })).toThrow()
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
    const peer = t.announce(pid, 'g', k, 5).peer!
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
    expect(t.announce(new Uint8Array([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]), 'g', keys(7), 6)).toMatchObject({ outcome: 'refreshed', peer: { lastSeen: 6, firstSeen: 5 } })
  })

  test('peers — keys of other lengths than the pin are a mismatch', () => {
    const t = new PeerTable()
    t.announce(id(1), 'a', keys(1), 0)
    const short = { noisePublicKey: keys(1).noisePublicKey.subarray(0, 31), signingPublicKey: keys(1).signingPublicKey }
    expect(t.announce(id(1), 'a', short, 1).outcome).toBe('keyMismatch')
  })
})

describe('toHex', () => {
  test('toHex — lowercase, two digits a byte, across the chunk boundary', () => {
    const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 37) & 0xff)
    expect(toHex(bytes)).toBe(Buffer.from(bytes).toString('hex'))
    expect(toHex(new Uint8Array(0))).toBe('')
  })
})
