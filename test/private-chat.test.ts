// Private messages over a stand-in for the sessions (what is sent, and whether a handshake is under way):
// receipts, repeats, resends and what is given up.
import { describe, expect, test } from 'vitest'
import { nobleCrypto } from '../src/crypto/noble-provider.js'
import type { NoiseSessions } from '../src/mesh/noise-sessions.js'
import { MAX_AWAITING, MAX_SEEN_IDS, MAX_SENDS, PrivateChat, RESEND_AFTER_MS, uuid, type PrivateMessage, type PrivateReceipt } from '../src/private-chat.js'
import { decodeNoisePayload, encodeNoisePayload, NoisePayloadType } from '../src/wire/noise-payload.js'
import { decodePrivateMessage, encodePrivateMessage } from '../src/wire/private-message.js'
import { ManualClock } from './helpers/manual-clock.js'

const ALICE = Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 1)
const BOB = Uint8Array.of(2, 2, 2, 2, 2, 2, 2, 2)
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

function chat (): {
  chat: PrivateChat, clock: ManualClock, out: Array<{ to: string, type: number, data: string }>, shown: PrivateMessage[],
  receipts: PrivateReceipt[], undelivered: string[], busy: Set<string>,
} {
  const clock = new ManualClock()
  const out: Array<{ to: string, type: number, data: string }> = []
  const busy = new Set<string>()
  const sessions = {
    send: (peerId: Uint8Array, plaintext: Uint8Array) => {
      const { type, data } = decodeNoisePayload(plaintext)
      out.push({ to: hex(peerId), type, data: type === NoisePayloadType.privateMessage ? decodePrivateMessage(data).content : new TextDecoder().decode(data) })
    },
    busy: (peerId: Uint8Array) => busy.has(hex(peerId)),
  } as unknown as NoiseSessions
  const shown: PrivateMessage[] = []
  const receipts: PrivateReceipt[] = []
  const undelivered: string[] = []
  const c = new PrivateChat({
    sessions,
    clock,
    crypto: nobleCrypto,
    nickname: id => hex(id) === hex(BOB) ? 'bob' : undefined,
    onMessage: m => shown.push(m),
    onReceipt: r => receipts.push(r),
    onUndelivered: (peer, id) => undelivered.push(`${peer}:${id}`),
  })
  return { chat: c, clock, out, shown, receipts, undelivered, busy }
}

const message = (messageId: string, content: string): Uint8Array =>
  encodeNoisePayload({ type: NoisePayloadType.privateMessage, data: encodePrivateMessage({ messageId, content }) })
const receipt = (type: number, messageId: string): Uint8Array => encodeNoisePayload({ type, data: utf8(messageId) })

describe('PrivateChat', () => {
  test('PrivateChat — a message is shown once and confirmed every time it comes; IDs are per sender', () => {
    const { chat: c, out, shown } = chat()
    c.receive(BOB, message('M1', 'hi'))
    c.receive(BOB, message('M1', 'hi'))
    c.receive(ALICE, message('M1', 'hi from alice'))
    expect(shown).toEqual([
      { senderId: hex(BOB), nickname: 'bob', messageId: 'M1', text: 'hi' },
      { senderId: hex(ALICE), nickname: hex(ALICE).slice(0, 8), messageId: 'M1', text: 'hi from alice' },
    ])
    expect(out).toEqual([
      { to: hex(BOB), type: NoisePayloadType.delivered, data: 'M1' },
      { to: hex(BOB), type: NoisePayloadType.delivered, data: 'M1' },
      { to: hex(ALICE), type: NoisePayloadType.delivered, data: 'M1' },
    ])
    expect(c.counters).toMatchObject({ shown: 2, repeats: 1 })
  })

  test('PrivateChat — the memory of shown IDs is bounded: past MAX_SEEN_IDS the oldest is forgotten', () => {
    const { chat: c, shown } = chat()
    for (let i = 0; i <= MAX_SEEN_IDS; i++) c.receive(BOB, message(`M${i}`, 'x'))
    c.receive(BOB, message('M1', 'x'))
    expect(shown.length).toBe(MAX_SEEN_IDS + 1)
    c.receive(BOB, message('M0', 'x'))
    expect(shown.length).toBe(MAX_SEEN_IDS + 2)
  })

  test('PrivateChat — the memory of sent IDs is bounded too: a receipt for a message long forgotten is not reported', () => {
    const { chat: c, receipts } = chat()
    const ids = Array.from({ length: MAX_SEEN_IDS + 1 }, (_, i) => c.send(BOB, `m${i}`))
    c.receive(BOB, receipt(NoisePayloadType.delivered, ids[0]!))
    c.receive(BOB, receipt(NoisePayloadType.delivered, ids[1]!))
    expect(receipts.map(r => r.messageId)).toEqual([ids[1]])
  })

  test('PrivateChat — receipts count only from the peer the message went to, a delivery once; a read receipt after it too', () => {
    const { chat: c, receipts, clock } = chat()
    const id = c.send(BOB, 'hello')
    c.receive(ALICE, receipt(NoisePayloadType.delivered, id))
    c.receive(BOB, receipt(NoisePayloadType.delivered, 'NOT-OURS'))
    expect(receipts).toEqual([])
    c.receive(BOB, receipt(NoisePayloadType.delivered, id))
    c.receive(BOB, receipt(NoisePayloadType.delivered, id))
    c.receive(BOB, receipt(NoisePayloadType.readReceipt, id))
    expect(receipts).toEqual([{ peerId: hex(BOB), messageId: id, kind: 'delivered' }, { peerId: hex(BOB), messageId: id, kind: 'read' }])
    // Confirmed: never sent again.
    clock.advance(10 * RESEND_AFTER_MS)
    c.maintain(clock.now())
    expect(c.counters).toMatchObject({ sent: 1, resent: 0, undelivered: 0 })
  })

  test('PrivateChat — without a receipt a message is sent again every RESEND_AFTER_MS, not while a handshake runs, and given up after MAX_SENDS', () => {
    const { chat: c, out, clock, undelivered, busy } = chat()
    const id = c.send(BOB, 'are you there')
    const sends = (): number => out.filter(o => o.data === 'are you there').length
    clock.advance(RESEND_AFTER_MS - 1); c.maintain(clock.now())
    expect(sends()).toBe(1)
    busy.add(hex(BOB))
    clock.advance(1); c.maintain(clock.now())
    expect(sends()).toBe(1)
    busy.clear()
    c.maintain(clock.now())
    expect(sends()).toBe(2)
    for (let i = 2; i < MAX_SENDS; i++) { clock.advance(RESEND_AFTER_MS); c.maintain(clock.now()) }
    expect(sends()).toBe(MAX_SENDS)
    expect(undelivered).toEqual([])
    clock.advance(RESEND_AFTER_MS); c.maintain(clock.now())
    expect(undelivered).toEqual([`${hex(BOB)}:${id}`])
    expect(sends()).toBe(MAX_SENDS)
    expect(c.counters).toMatchObject({ sent: 1, resent: MAX_SENDS - 1, undelivered: 1 })
  })

  test('PrivateChat — past MAX_AWAITING unconfirmed messages the oldest is given up', () => {
    const { chat: c, undelivered } = chat()
    const first = c.send(BOB, 'm0')
    for (let i = 1; i < MAX_AWAITING; i++) c.send(BOB, `m${i}`)
    expect(undelivered).toEqual([])
    c.send(BOB, 'one more')
    expect(undelivered).toEqual([`${hex(BOB)}:${first}`])
  })

  test.each([
    ['an empty payload', new Uint8Array(0), 1],
    ['a private message with an unknown TLV', encodeNoisePayload({ type: NoisePayloadType.privateMessage, data: Uint8Array.of(7, 1, 0) }), 1],
    ['a receipt that is not UTF-8', encodeNoisePayload({ type: NoisePayloadType.delivered, data: Uint8Array.of(0xff) }), 1],
    ['a type we do not use (authenticated peer state)', encodeNoisePayload({ type: NoisePayloadType.authenticatedPeerState, data: Uint8Array.of(1) }), 0],
  ])('PrivateChat — %s shows nothing and sends nothing', (_, plaintext, malformed) => {
    const { chat: c, out, shown, receipts } = chat()
    c.receive(BOB, plaintext)
    expect([out, shown, receipts]).toEqual([[], [], []])
    expect(c.counters.malformed).toBe(malformed)
  })

  test.each([
    ['00'.repeat(16), '00000000-0000-4000-8000-000000000000'],
    ['ff'.repeat(16), 'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF'],
    ['0123456789abcdef0123456789abcdef', '01234567-89AB-4DEF-8123-456789ABCDEF'],
  ])('uuid — %s is a version-4 UUID in upper case, as iOS writes message IDs', (random, expected) => {
    expect(uuid(Uint8Array.from(Buffer.from(random, 'hex')))).toBe(expected)
  })
})
