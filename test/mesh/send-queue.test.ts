import { describe, expect, test } from 'vitest'
import { SendQueue, priorityOf, Priority, FRAGMENT_SPACING_MS } from '../../src/mesh/send-queue.js'
import { Counters } from '../../src/mesh/stats.js'
import type { Link } from '../../src/mesh/link.js'
import { MessageType } from '../../src/wire/packet-types.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { carriedType, encodePacket } from '../../src/wire/packet.js'
import { encodeFragment } from '../../src/wire/fragment.js'

class FakeLink implements Link {
  readonly id = 'fake'
  readonly mtu = 512
  readonly info = {}
  closed = false
  full = false
  sent: Uint8Array[] = []
  attach (): void {}
  send (frame: Uint8Array): boolean {
    if (this.full) return false
    this.sent.push(frame)
    return true
  }
  close (): void { this.closed = true }
}

const frame = (type: number, tag: number): Uint8Array => Uint8Array.of(1, type, 7, tag)

describe('SendQueue', () => {
  test.each([
    [MessageType.announce, Priority.control], [MessageType.noiseHandshake, Priority.control], [MessageType.leave, Priority.control],
    [MessageType.message, Priority.message], [MessageType.noiseEncrypted, Priority.message], [0x77, Priority.message],
    [MessageType.fragment, Priority.bulk], [MessageType.fileTransfer, Priority.bulk],
  ])('send-queue — type 0x%s goes in class %s', (type, priority) => {
    expect(priorityOf(type)).toBe(priority)
  })

  test('send-queue — a blocked link keeps frames; onDrain sends control before messages before bulk', () => {
    const link = new FakeLink()
    const counters = new Counters()
    const q = new SendQueue(link, new ManualClock(), counters, { fragmentSpacingMs: 0 })
    link.full = true
    // Two are tagged: with no withdrawal check given, a tagged frame that waited is sent like the others.
    q.enqueue(frame(MessageType.fragment, 1))
    q.enqueue(frame(MessageType.message, 2), 5)
    q.enqueue(frame(MessageType.announce, 3), 6)
    q.enqueue(frame(MessageType.message, 4))
    expect(link.sent).toEqual([])
    link.full = false
    q.drain()
    expect(link.sent.map(f => f[3])).toEqual([3, 2, 4, 1])
    expect(counters.snapshot().framesOut).toBe(4)
    expect(counters.snapshot().framesOutControl).toBe(1)
  })

  test('send-queue — when full, bulk is evicted for control and counted; otherwise the newcomer is dropped', () => {
    const link = new FakeLink()
    link.full = true
    const counters = new Counters()
    const q = new SendQueue(link, new ManualClock(), counters, { maxFrames: 2 })
    expect(q.enqueue(frame(MessageType.fragment, 1))).toBe(true)
    expect(q.enqueue(frame(MessageType.message, 2))).toBe(true)
    expect(q.enqueue(frame(MessageType.announce, 3))).toBe(true) // evicts the fragment
    expect(q.enqueue(frame(MessageType.fragment, 4))).toBe(false)
    expect(q.length).toBe(2)
    expect(counters.snapshot().dropped.queueFull).toBe(2)
    link.full = false
    q.drain()
    expect(link.sent.map(f => f[3])).toEqual([3, 2])
  })

  test.each<[string, number[], number]>([
    ['messages, and a message comes', [MessageType.message, MessageType.message], MessageType.message],
    ['control frames, and a message comes', [MessageType.announce, MessageType.announce], MessageType.message],
    ['control frames, and a control frame comes', [MessageType.announce, MessageType.leave], MessageType.announce],
  ])('send-queue — full of %s: the newcomer is dropped, the queued frames are kept', (_, queued, newcomer) => {
    const link = new FakeLink()
    link.full = true
    const counters = new Counters()
    const q = new SendQueue(link, new ManualClock(), counters, { maxFrames: 2 })
    queued.forEach((type, i) => q.enqueue(frame(type, i + 1)))
    expect(q.enqueue(frame(newcomer, 9))).toBe(false)
    expect(q.length).toBe(2)
    expect(counters.snapshot().dropped.queueFull).toBe(1)
    link.full = false
    q.drain()
    expect(link.sent.map(f => f[3])).toEqual([1, 2])
  })

  test('send-queue — each waiting frame keeps its own tag through a long backlog', () => {
    // Past 64 frames sent from one backlog the FIFO compacts its arrays; frames and tags must move together.
    const link = new FakeLink()
    link.full = true
    const asked: number[] = []
    const q = new SendQueue(link, new ManualClock(), new Counters(), {}, tag => { asked.push(tag); return false })
    for (let n = 1; n <= 200; n++) q.enqueue(Uint8Array.of(1, MessageType.message, 7, n & 0xff, n >> 8), 1000 + n)
    const sendMany = link.send.bind(link)
    let room = 100
    link.send = f => room-- > 0 && sendMany(f)
    link.full = false
    q.drain()
    room = Infinity
    q.drain()
    expect(link.sent.map(f => f[3]! | (f[4]! << 8))).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    expect(new Set(asked)).toEqual(new Set(Array.from({ length: 200 }, (_, i) => 1001 + i)))
    expect(asked.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => 1001 + i))
  })

  test('send-queue — a frame that waited is asked about before it leaves; tag 0 and frames sent at once never are', () => {
    const link = new FakeLink()
    const counters = new Counters()
    const asked: Array<[number, number]> = []
    const q = new SendQueue(link, new ManualClock(), counters, { fragmentSpacingMs: 0 }, (tag, ttl) => { asked.push([tag, ttl]); return tag === 2 })
    q.enqueue(frame(MessageType.message, 1), 1) // sent at once: never asked
    link.full = true
    q.enqueue(frame(MessageType.message, 2), 2) // withdrawn
    q.enqueue(frame(MessageType.announce, 3), 3) // kept
    q.enqueue(frame(MessageType.message, 4)) // untagged: never asked
    link.full = false
    q.drain()
    expect(link.sent.map(f => f[3])).toEqual([1, 3, 4])
    expect(asked).toEqual([[3, 7], [2, 7]])
    expect(counters.snapshot().withdrawn).toBe(1)
    expect(counters.snapshot().framesOut).toBe(3)
    expect(q.length).toBe(0)
  })

  test('send-queue — fragments are paced on the clock; other frames are not held behind them', () => {
    const link = new FakeLink()
    const clock = new ManualClock()
    const q = new SendQueue(link, clock, new Counters(), { fragmentSpacingMs: 30 })
    q.enqueue(frame(MessageType.fragment, 1))
    q.enqueue(frame(MessageType.fragment, 2))
    q.enqueue(frame(MessageType.fragment, 3))
    expect(link.sent.map(f => f[3])).toEqual([1])
    q.enqueue(frame(MessageType.message, 9))
    expect(link.sent.map(f => f[3])).toEqual([1, 9])
    clock.advance(29)
    expect(link.sent.length).toBe(2)
    clock.advance(1)
    expect(link.sent.map(f => f[3])).toEqual([1, 9, 2])
    clock.advance(30)
    expect(link.sent.map(f => f[3])).toEqual([1, 9, 2, 3])
  })

  test.each([['from the queue', true], ['straight to an idle link', false]])('send-queue — a message sent %s does not hold back the next fragment', (_, queued) => {
    const link = new FakeLink()
    link.full = queued
    const clock = new ManualClock()
    const q = new SendQueue(link, clock, new Counters(), { fragmentSpacingMs: 30 })
    q.enqueue(frame(MessageType.message, 1))
    q.enqueue(frame(MessageType.fragment, 2))
    link.full = false
    q.drain()
    expect(link.sent.map(f => f[3])).toEqual([1, 2])
  })

  test('send-queue — without options, fragments leave FRAGMENT_SPACING_MS apart', () => {
    const link = new FakeLink()
    const clock = new ManualClock()
    const q = new SendQueue(link, clock, new Counters())
    q.enqueue(frame(MessageType.fragment, 1))
    q.enqueue(frame(MessageType.fragment, 2))
    clock.advance(FRAGMENT_SPACING_MS - 1)
    expect(link.sent.map(f => f[3])).toEqual([1])
    clock.advance(1)
    expect(link.sent.map(f => f[3])).toEqual([1, 2])
  })

  test('send-queue — closing drops what is queued and counts it', () => {
    const link = new FakeLink()
    link.full = true
    const counters = new Counters()
    const q = new SendQueue(link, new ManualClock(), counters)
    q.enqueue(frame(MessageType.message, 1))
    q.enqueue(frame(MessageType.message, 2))
    q.close()
    expect(q.enqueue(frame(MessageType.message, 3))).toBe(false)
    expect(counters.snapshot().dropped.linkClosed).toBe(3)
  })

  test('send-queue — a fragment counts as the type it carries', () => {
    const payload = encodeFragment({ fragmentId: new Uint8Array(8), index: 0, total: 2, originalType: MessageType.announce, data: Uint8Array.of(1) })
    const f = encodePacket({ version: 1, type: MessageType.fragment, ttl: 7, timestamp: 1n, senderId: new Uint8Array(8), recipientId: new Uint8Array(8).fill(0xff), route: [], payload, isCompressed: false, isRSR: false, signature: null })
    expect(carriedType(f)).toBe(MessageType.announce)
    const counters = new Counters()
    new SendQueue(new FakeLink(), new ManualClock(), counters).enqueue(f)
    const s = counters.snapshot()
    expect(s.framesOutControl).toBe(1)
    expect(s.framesOutByType).toEqual({ fragment: 1 })
  })
})
