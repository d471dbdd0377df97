import { describe, expect, test } from 'vitest'
import { DIRECTED_TTL_CONFIRM_MS, DIRECTED_TTL_MARGIN, DIRECTED_TTL_SUPPRESS_MS, DirectedTtl, MAX_RECIPIENTS } from '../../src/mesh/directed-ttl.js'
import { peerKey } from '../../src/mesh/peers.js'

const id = (n: number): Uint8Array => new Uint8Array(8).fill(n)

/** A peer table reduced to what DirectedTtl asks: hops by peer, and whether everyone announced full fanout. */
function peers (hops: Record<number, number>, allFullFanout = true): { hops: (key: string) => number, allFullFanout: () => boolean } {
  const byKey = new Map(Object.entries(hops).map(([n, h]) => [peerKey(id(Number(n))), h]))
  return { hops: key => byKey.get(key) ?? 0, allFullFanout: () => allFullFanout }
}

describe('DirectedTtl', () => {
  test.each([
    ['a neighbour', { 1: 1 }, true, 1 + DIRECTED_TTL_MARGIN],
    ['a peer 3 links away', { 1: 3 }, true, 3 + DIRECTED_TTL_MARGIN],
    ['a peer whose distance plus the margin reaches 7', { 1: 7 - DIRECTED_TTL_MARGIN }, true, 7],
    ['a peer further than 7 links (TTL 0 on arrival)', { 1: 8 }, true, 7],
    ['a peer of unknown distance', {}, true, 7],
    ['a peer 3 links away, with someone in hearing that is not one of ours', { 1: 3 }, false, 7],
  ])('directed TTL — %s', (_, hops, allFullFanout, ttl) => {
    expect(new DirectedTtl(peers(hops, allFullFanout)).ttl(id(1), 0)).toBe(ttl)
  })

  test('directed TTL — a cut TTL the recipient does not answer within the window gives TTL 7 for the suppression time', () => {
    const d = new DirectedTtl(peers({ 1: 2, 2: 2 }))
    const cut = 2 + DIRECTED_TTL_MARGIN
    expect(d.ttl(id(1), 0)).toBe(cut)
    expect(d.ttl(id(1), DIRECTED_TTL_CONFIRM_MS - 1)).toBe(cut) // the window counts from the first unanswered send
    expect(d.ttl(id(1), DIRECTED_TTL_CONFIRM_MS)).toBe(7)
    d.answered(id(1)) // an answer now does not lift it
    expect(d.ttl(id(1), DIRECTED_TTL_CONFIRM_MS + DIRECTED_TTL_SUPPRESS_MS - 1)).toBe(7)
    expect(d.ttl(id(1), DIRECTED_TTL_CONFIRM_MS + DIRECTED_TTL_SUPPRESS_MS)).toBe(cut)
    expect(d.ttl(id(2), DIRECTED_TTL_CONFIRM_MS)).toBe(cut) // another recipient is unaffected
  })

  test('directed TTL — when a suppression ends, unanswered, the cut TTL gets a whole new window', () => {
    const d = new DirectedTtl(peers({ 1: 2 }))
    const cut = 2 + DIRECTED_TTL_MARGIN
    const end = DIRECTED_TTL_CONFIRM_MS + DIRECTED_TTL_SUPPRESS_MS
    expect([0, DIRECTED_TTL_CONFIRM_MS, end, end + DIRECTED_TTL_CONFIRM_MS - 1, end + DIRECTED_TTL_CONFIRM_MS].map(t => d.ttl(id(1), t))).toEqual([cut, 7, cut, cut, 7])
  })

  test('directed TTL — an answer closes the window, and the next cut TTL opens a new one', () => {
    const d = new DirectedTtl(peers({ 1: 2 }))
    const cut = 2 + DIRECTED_TTL_MARGIN
    expect(d.ttl(id(1), 0)).toBe(cut)
    d.answered(id(1))
    expect(d.ttl(id(1), 5_000)).toBe(cut)
    expect(d.ttl(id(1), 5_000 + DIRECTED_TTL_CONFIRM_MS - 1)).toBe(cut)
    d.answered(id(9)) // someone else's answer is not this one's
    expect(d.ttl(id(1), 5_000 + DIRECTED_TTL_CONFIRM_MS)).toBe(7)
  })

  test.each([
    ['is forgotten once MAX_RECIPIENTS others were written to since', false, 2 + DIRECTED_TTL_MARGIN],
    ['is kept while it is written to again in between (least recently used goes first)', true, 7],
  ])('directed TTL — a recipient with an unanswered cut %s', (_, touched, ttl) => {
    const idOf = (i: number): Uint8Array => Uint8Array.of(7, 7, 7, 7, 0, 0, i >> 8, i & 0xff)
    const d = new DirectedTtl({ hops: () => 2, allFullFanout: () => true })
    d.ttl(idOf(0), 0)
    for (let i = 1; i <= MAX_RECIPIENTS; i++) {
      if (touched && i === MAX_RECIPIENTS) d.ttl(idOf(0), 1)
      d.ttl(idOf(i), 1)
    }
    expect(d.ttl(idOf(0), DIRECTED_TTL_CONFIRM_MS)).toBe(ttl)
  })

  test('directed TTL — sends at TTL 7 open no window: a recipient that comes closer later is not suppressed by them', () => {
    const hops = new Map([[peerKey(id(1)), 5]])
    const d = new DirectedTtl({ hops: key => hops.get(key) ?? 0, allFullFanout: () => true })
    expect(d.ttl(id(1), 0)).toBe(7)
    hops.set(peerKey(id(1)), 2)
    expect(d.ttl(id(1), DIRECTED_TTL_CONFIRM_MS)).toBe(2 + DIRECTED_TTL_MARGIN)
  })
})
