import { describe, expect, test } from 'vitest'
import { LinkPolicy, MAX_ADDRESS_RECORDS, RSSI_UNAVAILABLE } from '../../hardware/link-policy.js'
import { SeededRandom } from '../../src/prng.js'
import { ManualClock } from '../helpers/manual-clock.js'

const seed = Number(process.env.BLEMESH_SEED ?? 7)
const A = '00:aa:01:00:00:42'
const B = '00:AA:01:01:00:42'

function policy (options: ConstructorParameters<typeof LinkPolicy>[2] = {}): { policy: LinkPolicy, clock: ManualClock } {
  const clock = new ManualClock()
  return { policy: new LinkPolicy(clock, new SeededRandom(seed), options), clock }
}

describe('LinkPolicy', () => {
  test.each([
    { name: 'no lists admit everyone', allow: [], deny: [], address: A, ok: true },
    { name: 'deny wins', allow: [A], deny: [A], address: A, ok: false },
    { name: 'allow list excludes others', allow: [A], deny: [], address: B, ok: false },
    { name: 'allow list matches case and separators loosely', allow: ['00AA01010042'], deny: [], address: B, ok: true },
    { name: 'deny list of another address', allow: [], deny: [B], address: A, ok: true },
  ])('LinkPolicy — address lists: $name', ({ allow, deny, address, ok }) => {
    const { policy: p } = policy({ allowAddresses: allow, denyAddresses: deny })
    expect(p.admitsAddress(address).ok).toBe(ok)
    expect(p.admitsIncoming(address, 0).ok).toBe(ok)
    expect(p.admitsOutgoing(address, -50, 0).ok).toBe(ok)
  })

  test('LinkPolicy — peer lists compare peer IDs case-insensitively', () => {
    const { policy: p } = policy({ allowPeers: ['AABBCCDDEEFF0011'], denyPeers: ['1122334455667788'] })
    expect(p.admitsPeer('aabbccddeeff0011').ok).toBe(true)
    expect(p.admitsPeer('1122334455667788')).toEqual({ ok: false, reason: 'peer denied' })
    expect(p.admitsPeer('0000000000000000')).toEqual({ ok: false, reason: 'peer not allowed' })
  })

  test.each([
    { rssi: -60, ok: true },
    { rssi: -90, ok: true },
    { rssi: -91, ok: false },
    { rssi: RSSI_UNAVAILABLE, ok: true },
  ])('LinkPolicy — RSSI gate at −90 dBm: $rssi → $ok', ({ rssi, ok }) => {
    const { policy: p } = policy()
    expect(p.admitsOutgoing(A, rssi, 0).ok).toBe(ok)
  })

  test('LinkPolicy — the link cap applies to both roles', () => {
    const { policy: p } = policy({ maxLinks: 2 })
    expect(p.admitsOutgoing(A, -50, 1).ok).toBe(true)
    expect(p.admitsOutgoing(A, -50, 2)).toEqual({ ok: false, reason: 'link cap reached' })
    expect(p.admitsIncoming(A, 2)).toEqual({ ok: false, reason: 'link cap reached' })
  })

  test('LinkPolicy — backoff doubles per failure (with up to 25 % jitter) and blocks after repeated failures', () => {
    const { policy: p, clock } = policy({ backoffBaseMs: 1_000, backoffMaxMs: 60_000, blockAfterFailures: 3, blockMs: 100_000 })
    p.failed(A)
    const first = p.state(A).backoffMs
    expect(first).toBeGreaterThanOrEqual(1_000)
    expect(first).toBeLessThanOrEqual(1_250)
    expect(p.admitsOutgoing(A, -50, 0)).toEqual({ ok: false, reason: 'backing off' })
    clock.advance(first)
    expect(p.admitsOutgoing(A, -50, 0).ok).toBe(true)
    p.failed(A)
    const second = p.state(A).backoffMs
    expect(second).toBeGreaterThanOrEqual(2_000)
    expect(second).toBeLessThanOrEqual(2_500)
    clock.advance(second)
    p.failed(A)
    expect(p.state(A).blockedMs).toBe(100_000)
    expect(p.admitsIncoming(A, 0)).toEqual({ ok: false, reason: 'temporarily blocked' })
    expect(p.admitsOutgoing(B, -50, 0).ok).toBe(true)
    clock.advance(100_000)
    expect(p.admitsIncoming(A, 0).ok).toBe(true)
  })

  test('LinkPolicy — a link that ends quickly is a flap and counts as a failure; a long one clears the record', () => {
    const { policy: p, clock } = policy({ flapMs: 5_000 })
    const opened = clock.now()
    clock.advance(1_000)
    p.ended(A, opened)
    expect(p.state(A).failures).toBe(1)
    clock.advance(60_000)
    p.ended(A, opened)
    expect(p.state(A)).toEqual({ failures: 0, backoffMs: 0, blockedMs: 0 })
  })

  test('LinkPolicy — holdOff keeps an address away without counting a failure', () => {
    const { policy: p, clock } = policy()
    p.holdOff(A, 10_000)
    expect(p.state(A)).toEqual({ failures: 0, backoffMs: 10_000, blockedMs: 0 })
    clock.advance(10_000)
    expect(p.admitsOutgoing(A, -50, 0).ok).toBe(true)
  })

  test('LinkPolicy — remembers at most maxAddressRecords troubled addresses, the least recently used going first', () => {
    const { policy: p } = policy({ maxAddressRecords: 3 })
    const C = '00:aa:01:02:00:42'
    const D = '00:aa:01:03:00:42'
    p.failed(A)
    p.failed(B)
    p.failed(C)
    expect(p.admitsOutgoing(A, -50, 0)).toEqual({ ok: false, reason: 'backing off' }) // A is used again: B is now the oldest
    p.failed(D)
    expect([A, B, C, D].map(a => p.state(a).failures)).toEqual([1, 0, 1, 1])
    expect(p.admitsOutgoing(B, -50, 0).ok).toBe(true)
  })

  test('LinkPolicy — by default MAX_ADDRESS_RECORDS addresses are remembered', () => {
    const { policy: p } = policy()
    const address = (i: number): string => `00:bb:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`
    for (let i = 0; i <= MAX_ADDRESS_RECORDS; i++) p.failed(address(i))
    expect([0, 1, MAX_ADDRESS_RECORDS].map(i => p.state(address(i)).failures)).toEqual([0, 1, 1])
  })
})
