import { createHash } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { AnnounceSync, SYNC_ANNOUNCE_MAX_AGE_MS, SYNC_ANSWER_WINDOW_MS, SYNC_ANSWERS_PER_WINDOW, SYNC_TYPE_ANNOUNCE } from '../../src/mesh/announce-sync.js'
import { nodeCrypto } from '../../src/crypto/node-provider.js'
import { peerKey } from '../../src/mesh/peers.js'
import { DecodeError } from '../../src/wire/decode-error.js'
import { buildGcsFilter } from '../../src/wire/gcs.js'
import { decodePacket, encodePacket } from '../../src/wire/packet.js'
import { MessageType, type Packet } from '../../src/wire/packet-types.js'
import { decodeRequestSync, encodeRequestSync, type RequestSync } from '../../src/wire/request-sync.js'

const NOW = 1_700_000_000_000

/** An announce-shaped frame (the store never checks signatures; the router did). */
function announce (sender: number, timestamp = NOW, ttl = 7, type: number = MessageType.announce): { key: string, packet: Packet, frame: Uint8Array } {
  const senderId = new Uint8Array(8).fill(sender)
  const frame = encodePacket({
    version: 1, type, ttl, timestamp: BigInt(timestamp), senderId, recipientId: null, route: [],
    payload: Uint8Array.of(1, 1, sender, 2, 1, timestamp % 251), isCompressed: false, isRSR: false, signature: new Uint8Array(64).fill(sender),
  })
  return { key: peerKey(senderId), packet: decodePacket(frame), frame }
}

function store (...announces: Array<ReturnType<typeof announce>>): AnnounceSync {
  const s = new AnnounceSync(nodeCrypto)
  for (const a of announces) s.note(a.key, a.packet, a.frame)
  return s
}

/** The sender bytes of what `missing` returned, to compare by who rather than by bytes. */
function senders (frames: Uint8Array[]): number[] {
  return frames.map(f => decodePacket(f).senderId[0]!).sort((a, b) => a - b)
}

/** A phone's packet ID, computed here without the code under test: SHA-256(type ‖ sender ‖ u64 BE timestamp ‖ payload)[0..16]. */
function phoneIdHash (a: ReturnType<typeof announce>): Uint8Array {
  const ts = Buffer.alloc(8)
  ts.writeBigUInt64BE(a.packet.timestamp)
  const id = createHash('sha256').update(Uint8Array.of(a.packet.type)).update(a.packet.senderId).update(ts).update(a.packet.payload).digest().subarray(0, 16)
  return createHash('sha256').update(id).digest()
}

const ME = 'me'

describe('AnnounceSync', () => {
  test.each([
    ['a newer announce replaces the older', [NOW, NOW + 1_000], NOW + 1_000],
    ['an older one never replaces a newer', [NOW + 1_000, NOW], NOW + 1_000],
    ['the same one twice is kept once', [NOW, NOW], NOW],
  ])('announce sync — one announce per sender: %s', (_, stamps, kept) => {
    const s = store(...stamps.map(t => announce(1, t)))
    const frames = s.missing(decodeRequestSync(new AnnounceSync(nodeCrypto).requestPayload(NOW)), ME, NOW + 1_000)
    expect(s.size).toBe(1)
    expect(frames.map(f => Number(decodePacket(f).timestamp))).toEqual([kept])
  })

  test('announce sync — what it offers is the received frame with TTL 0, byte for byte otherwise', () => {
    const a = announce(1)
    const [frame] = store(a).missing(decodeRequestSync(new AnnounceSync(nodeCrypto).requestPayload(NOW)), ME, NOW)
    const expected = a.frame.slice()
    expected[2] = 0
    expect(frame).toEqual(expected)
    expect(a.frame[2]).toBe(7)
  })

  test('announce sync — a request gets exactly the announces its sender lacks, never its own', () => {
    const [x, y, z, requester] = [announce(1), announce(2), announce(3), announce(9)]
    const holder = store(x, y, z, requester)
    const asking = store(x)
    const request = decodeRequestSync(asking.requestPayload(NOW))
    expect(senders(holder.missing(request, requester.key, NOW))).toEqual([2, 3])
    expect(senders(holder.missing(request, ME, NOW))).toEqual([2, 3, 9])
  })

  test('announce sync — a filter built from the phones\' packet IDs (computed independently) hides what it holds', () => {
    const [x, y] = [announce(1), announce(2)]
    const filter = buildGcsFilter([phoneIdHash(x)], { fpr: 0.01, maxBytes: 400 })
    const request: RequestSync = { p: filter.p, m: filter.m, filter: filter.data, types: null, since: null, fragmentIds: null }
    expect(senders(store(x, y).missing(request, ME, NOW))).toEqual([2])
  })

  test.each([
    ['announce bit', SYNC_TYPE_ANNOUNCE, [1]],
    ['announce and message bits (iOS publicMessages)', SYNC_TYPE_ANNOUNCE | 2, [1]],
    ['no types field (iOS default)', null, [1]],
    ['message bit only', 2, []],
    ['fragment bit only', 1 << 5, []],
  ])('announce sync — requested types: %s', (_, types, expected) => {
    const request = { ...decodeRequestSync(new AnnounceSync(nodeCrypto).requestPayload(NOW)), types }
    expect(senders(store(announce(1)).missing(request, ME, NOW))).toEqual(expected)
  })

  test('announce sync — announces older than 60 s are neither offered nor put in our filter', () => {
    const [old, young] = [announce(1, NOW), announce(2, NOW + 30_000)]
    const s = store(old, young)
    const at = NOW + SYNC_ANNOUNCE_MAX_AGE_MS + 1
    expect(senders(s.missing(decodeRequestSync(new AnnounceSync(nodeCrypto).requestPayload(at)), ME, at))).toEqual([2])
    expect(s.size).toBe(1)
    // Our own filter, at that time, holds only the young one: a holder of both offers us the old one back.
    expect(senders(store(old, young).missing(decodeRequestSync(s.requestPayload(at)), ME, NOW))).toEqual([1])
  })

  test.each([
    ['exactly 60 s old is still offered', SYNC_ANNOUNCE_MAX_AGE_MS, [1]],
    ['1 ms older is not', SYNC_ANNOUNCE_MAX_AGE_MS + 1, []],
  ])('announce sync — an announce %s', (_, age, offered) => {
    const s = store(announce(1, NOW))
    expect(senders(s.missing(decodeRequestSync(new AnnounceSync(nodeCrypto).requestPayload(NOW)), ME, NOW + age))).toEqual(offered)
  })

  test('announce sync — our filter follows the store: an announce noted within the reuse second is in the next one, a stale one leaves it', () => {
    const [x, y] = [announce(1, NOW), announce(2, NOW)]
    const holder = store(x, y)
    const s = store(x)
    const lacks = (at: number): number[] => senders(holder.missing(decodeRequestSync(s.requestPayload(at)), ME, NOW))
    expect(lacks(NOW)).toEqual([2])
    s.note(y.key, y.packet, y.frame)
    expect(lacks(NOW + 10)).toEqual([])
    // No note since, but time passed: both went stale, and the filter no longer holds them.
    expect(lacks(NOW + SYNC_ANNOUNCE_MAX_AGE_MS + 500)).toEqual([1, 2])
  })

  test('announce sync — holds at most maxAnnounces, dropping the least recently refreshed', () => {
    const s = new AnnounceSync(nodeCrypto, 3)
    const notes = [announce(1), announce(2), announce(3), announce(1, NOW + 1), announce(4)]
    for (const a of notes) s.note(a.key, a.packet, a.frame)
    expect(s.size).toBe(3)
    expect(senders(s.missing(decodeRequestSync(new AnnounceSync(nodeCrypto).requestPayload(NOW)), ME, NOW))).toEqual([1, 3, 4])
  })

  test('announce sync — a forgotten peer is no longer offered', () => {
    const [x, y] = [announce(1), announce(2)]
    const s = store(x, y)
    s.forget(x.key)
    expect(senders(s.missing(decodeRequestSync(new AnnounceSync(nodeCrypto).requestPayload(NOW)), ME, NOW))).toEqual([2])
  })

  test('announce sync — only announces are kept', () => {
    const m = announce(1, NOW, 7, MessageType.message)
    expect(store(m).size).toBe(0)
  })

  test('announce sync — a neighbour gets at most 8 answers per 30 s, others are not held back', () => {
    const s = new AnnounceSync(nodeCrypto)
    const answered = Array.from({ length: SYNC_ANSWERS_PER_WINDOW + 2 }, (_, i) => s.mayAnswer('a', NOW + i))
    expect(answered.filter(Boolean)).toHaveLength(SYNC_ANSWERS_PER_WINDOW)
    expect(answered.slice(SYNC_ANSWERS_PER_WINDOW)).toEqual([false, false])
    expect(s.mayAnswer('b', NOW)).toBe(true)
    // A new window for another neighbour leaves this one's count alone.
    expect(s.mayAnswer('c', NOW + SYNC_ANSWER_WINDOW_MS - 1)).toBe(true)
    expect(s.mayAnswer('a', NOW + SYNC_ANSWER_WINDOW_MS - 1)).toBe(false)
    expect(s.mayAnswer('a', NOW + SYNC_ANSWER_WINDOW_MS)).toBe(true)
  })

  test('announce sync — our request payload is a REQUEST_SYNC for announces whose filter fits Android\'s 256 bytes', () => {
    const s = new AnnounceSync(nodeCrypto)
    for (let i = 0; i < 100; i++) { const a = announce(i); s.note(a.key, a.packet, a.frame) }
    const request = decodeRequestSync(s.requestPayload(NOW))
    expect(request.types).toBe(SYNC_TYPE_ANNOUNCE)
    expect(request.p).toBe(7)
    expect(request.filter.length).toBeLessThanOrEqual(256)
    expect(request.m).toBe(100 * 128)
  })

  test('announce sync — a malformed filter is a DecodeError', () => {
    const bad = decodeRequestSync(encodeRequestSync({ p: 7, m: 128, filter: Uint8Array.of(0xff, 0xff), types: SYNC_TYPE_ANNOUNCE, since: null, fragmentIds: null }))
    expect(() => store(announce(1)).missing(bad, ME, NOW)).toThrow(DecodeError)
  })
})
