// Bitchat's transport framing over an established XX session: the clear counter, the nonce it stands
// for, and the replay window under reordering, loss, replays and forgeries.
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { nobleCrypto } from '../../src/crypto/noble-provider.js'
import { CipherState } from '../../src/crypto/noise.js'
import { MAX_TRANSPORT_COUNTER, NoiseTransport, REPLAY_WINDOW, ReplayWindow, TRANSPORT_OVERHEAD_BYTES } from '../../src/crypto/noise-transport.js'
import { DecodeError } from '../../src/wire/decode-error.js'
import { fcOptions, flipBit, toHex } from './helpers.js'

const crypto = nobleCrypto
const KEY_AB = new Uint8Array(32).fill(0xab)
const KEY_BA = new Uint8Array(32).fill(0xba)

function sessions (): [NoiseTransport, NoiseTransport] {
  return [
    new NoiseTransport(new CipherState(crypto, KEY_AB), new CipherState(crypto, KEY_BA)),
    new NoiseTransport(new CipherState(crypto, KEY_BA), new CipherState(crypto, KEY_AB)),
  ]
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const str = (b: Uint8Array): string => new TextDecoder().decode(b)

describe('NoiseTransport', () => {
  test('NoiseTransport — a frame is the big-endian counter, then the cipher state\'s output under that counter', () => {
    const [a] = sessions()
    const reference = new CipherState(crypto, KEY_AB)
    for (let n = 0; n < 3; n++) {
      const frame = a.encrypt(text('hi'))
      expect(toHex(frame.subarray(0, 4))).toBe(n.toString(16).padStart(8, '0'))
      expect(toHex(frame.subarray(4))).toBe(toHex(reference.encryptWithAd(new Uint8Array(0), text('hi'))))
      expect(frame.length).toBe(2 + TRANSPORT_OVERHEAD_BYTES)
    }
    expect(a.sent).toBe(3)
  })

  test('NoiseTransport — both directions work and are keyed apart', () => {
    const [a, b] = sessions()
    expect(str(b.decrypt(a.encrypt(text('to b'))))).toBe('to b')
    expect(str(a.decrypt(b.encrypt(text('to a'))))).toBe('to a')
    // A frame reflected back at its sender does not decrypt.
    expect(() => a.decrypt(a.encrypt(text('echo')))).toThrow(DecodeError)
  })

  test('NoiseTransport — frames decrypt out of order and after gaps', () => {
    const [a, b] = sessions()
    const frames = Array.from({ length: 6 }, (_, i) => a.encrypt(text(`m${i}`)))
    expect([5, 0, 3, 1].map(i => str(b.decrypt(frames[i]!)))).toEqual(['m5', 'm0', 'm3', 'm1'])
  })

  test.each([
    ['a replay of the newest', [0, 1], 1],
    ['a replay of an older one', [0, 1, 2], 0],
  ])('NoiseTransport — %s is refused', (_, delivered, replayed) => {
    const [a, b] = sessions()
    const frames = Array.from({ length: 3 }, (_, i) => a.encrypt(text(`m${i}`)))
    for (const i of delivered) b.decrypt(frames[i]!)
    expect(() => b.decrypt(frames[replayed]!)).toThrow(DecodeError)
  })

  test.each([
    ['empty', 0],
    ['counter only', 4],
    ['counter and 15 bytes', 19],
  ])('NoiseTransport — a frame too short (%s) is a DecodeError', (_, length) => {
    const [a, b] = sessions()
    expect(() => b.decrypt(a.encrypt(text('x')).subarray(0, length))).toThrow(DecodeError)
  })

  test('NoiseTransport — a forged frame does not move the window', () => {
    const [a, b] = sessions()
    const genuine = a.encrypt(text('first'))
    // The counter is outside the tag: a forger can claim any, but the tag then fails and nothing is marked.
    const forged = genuine.slice()
    forged[0] = 0x7f
    expect(() => b.decrypt(forged)).toThrow(DecodeError)
    expect(() => b.decrypt(flipBit(genuine, 40))).toThrow(DecodeError)
    expect(str(b.decrypt(genuine))).toBe('first')
  })

  test('NoiseTransport — 65 535 bytes of plaintext go, 65 536 are refused before encrypting', () => {
    const [a, b] = sessions()
    expect(() => a.encrypt(new Uint8Array(65_536))).toThrow(RangeError)
    expect(a.sent).toBe(0)
    expect(b.decrypt(a.encrypt(new Uint8Array(65_535))).length).toBe(65_535)
  })

  test('NoiseTransport — an empty message is the 20 bytes of counter and tag, and decrypts', () => {
    const [a, b] = sessions()
    const frame = a.encrypt(new Uint8Array(0))
    expect(frame.length).toBe(TRANSPORT_OVERHEAD_BYTES)
    expect(b.decrypt(frame).length).toBe(0)
  })

  test('NoiseTransport — the last counter is 2³² − 2; after it the transport is exhausted and refuses to encrypt', () => {
    const a = new NoiseTransport(new CipherState(crypto, KEY_AB), new CipherState(crypto, KEY_BA), MAX_TRANSPORT_COUNTER)
    const b = new NoiseTransport(new CipherState(crypto, KEY_BA), new CipherState(crypto, KEY_AB))
    expect(a.exhausted).toBe(false)
    const last = a.encrypt(text('last'))
    expect(toHex(last.subarray(0, 4))).toBe('fffffffe')
    expect(str(b.decrypt(last))).toBe('last')
    expect(a.exhausted).toBe(true)
    expect(() => a.encrypt(text('one more'))).toThrow(/exhausted/)
  })

  test('NoiseTransport — any delivery order within the window decrypts each frame once, replays never', () => {
    fc.assert(fc.property(
      fc.array(fc.nat({ max: 39 }), { minLength: 1, maxLength: 80 }),
      order => {
        const [a, b] = sessions()
        const frames = Array.from({ length: 40 }, (_, i) => a.encrypt(text(String(i))))
        const got = new Set<number>()
        for (const i of order) {
          let plaintext: Uint8Array | null = null
          try { plaintext = b.decrypt(frames[i]!) } catch (error) { if (!(error instanceof DecodeError)) throw error }
          expect(plaintext !== null).toBe(!got.has(i))
          if (plaintext !== null) { expect(str(plaintext)).toBe(String(i)); got.add(i) }
        }
      },
    ), fcOptions(200))
  })
})

describe('ReplayWindow', () => {
  test.each([
    ['the newest itself', 5000, 5000, false],
    ['one newer', 5000, 5001, true],
    ['far newer', 5000, 1_000_000, true],
    ['the oldest counter in the window', 5000, 5000 - REPLAY_WINDOW + 1, true],
    ['just outside the window', 5000, 5000 - REPLAY_WINDOW, false],
    ['counter 0 before anything was seen', -1, 0, true],
    ['far outside the window, its slot free', 5000, 3000, false],
  ])('ReplayWindow — %s', (_, highest, n, accepted) => {
    const w = new ReplayWindow()
    if (highest >= 0) w.mark(highest)
    expect(w.accepts(n)).toBe(accepted)
  })

  test('ReplayWindow — a jump forward frees the slots of counters it skipped, and only those', () => {
    const w = new ReplayWindow()
    for (let n = 0; n < REPLAY_WINDOW; n++) w.mark(n)
    // Counter 1500 shares its slot with 476, 1100 with 76. Jumping to 1500 drops 0–476 out of the window,
    // so the slots of 1024–1499 must read as unseen even though 0–475 set them.
    // Counter 1024 takes the slot of 0, which was seen: newer counters are always new.
    expect(w.accepts(REPLAY_WINDOW)).toBe(true)
    w.mark(1500)
    expect(w.accepts(1100)).toBe(true)
    expect(w.accepts(1499)).toBe(true)
    expect(w.accepts(1000)).toBe(false)
    expect(w.accepts(476)).toBe(false)
    expect(w.accepts(477)).toBe(false)
    expect(w.accepts(1500)).toBe(false)
  })
})
