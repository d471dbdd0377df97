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
})
