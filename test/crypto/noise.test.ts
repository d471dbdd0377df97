// The XX handshake and cipher state against the cacophony and snow vectors (every handshake and transport
// byte, with both providers), then the failures a peer can cause: tampering, truncation, low-order keys.
import { describe, expect, test } from 'vitest'
import { nobleCrypto } from '../../src/crypto/noble-provider.js'
import { nodeCrypto } from '../../src/crypto/node-provider.js'
import { CipherState, noiseKeyPair, noiseNonce, XXHandshake, XX_MESSAGE_BYTES, type NoiseSplit } from '../../src/crypto/noise.js'
import type { CryptoProvider } from '../../src/crypto/provider.js'
import { DecodeError } from '../../src/wire/decode-error.js'
import { flipBit, hex, readFixture, toHex } from './helpers.js'

interface Vector {
  source: string
  init_prologue: string
  init_static: string
  init_ephemeral: string
  resp_prologue: string
  resp_static: string
  resp_ephemeral: string
  handshake_hash?: string
  messages: Array<{ payload: string, ciphertext: string }>
}

const { vectors } = readFixture<{ vectors: Vector[] }>('noise-xx-vectors.json')
const providers: Array<[string, CryptoProvider]> = [['noble', nobleCrypto], ['node', nodeCrypto]]
const EMPTY = new Uint8Array(0)

function pair (crypto: CryptoProvider, options: { iPrologue?: Uint8Array, rPrologue?: Uint8Array } = {}): [XXHandshake, XXHandshake] {
  const key = (byte: number): Uint8Array => new Uint8Array(32).fill(byte)
  return [
    new XXHandshake(crypto, 'initiator', noiseKeyPair(crypto, key(1)), { prologue: options.iPrologue, ephemeral: noiseKeyPair(crypto, key(2)) }),
    new XXHandshake(crypto, 'responder', noiseKeyPair(crypto, key(3)), { prologue: options.rPrologue, ephemeral: noiseKeyPair(crypto, key(4)) }),
  ]
}

describe.each(providers)('XXHandshake (%s provider)', (_, crypto) => {
  test.each(vectors.map(v => [v.source.split(' ')[0]!, v] as const))('XXHandshake — reproduces the %s vector byte for byte', (_source, v) => {
    const initiator = new XXHandshake(crypto, 'initiator', noiseKeyPair(crypto, hex(v.init_static)), { prologue: hex(v.init_prologue), ephemeral: noiseKeyPair(crypto, hex(v.init_ephemeral)) })
    const responder = new XXHandshake(crypto, 'responder', noiseKeyPair(crypto, hex(v.resp_static)), { prologue: hex(v.resp_prologue), ephemeral: noiseKeyPair(crypto, hex(v.resp_ephemeral)) })
    const sides = [initiator, responder]
    for (let i = 0; i < 3; i++) {
      const { payload, ciphertext } = v.messages[i]!
      const [writer, reader] = i % 2 === 0 ? sides : [...sides].reverse()
      expect(toHex(writer!.writeMessage(hex(payload)))).toBe(ciphertext)
      expect(toHex(reader!.readMessage(hex(ciphertext)))).toBe(payload)
    }
    expect(initiator.complete && responder.complete).toBe(true)
    const i = initiator.split()
    const r = responder.split()
    expect(toHex(i.remoteStaticKey)).toBe(toHex(crypto.x25519PublicKey(hex(v.resp_static))))
    expect(toHex(r.remoteStaticKey)).toBe(toHex(crypto.x25519PublicKey(hex(v.init_static))))
    expect(toHex(i.handshakeHash)).toBe(toHex(r.handshakeHash))
    if (v.handshake_hash !== undefined) expect(toHex(i.handshakeHash)).toBe(v.handshake_hash)
    // Transport messages keep the alternation: the responder sends message 3, the initiator 4, …
    for (let m = 3; m < v.messages.length; m++) {
      const { payload, ciphertext } = v.messages[m]!
      const [from, to]: [NoiseSplit, NoiseSplit] = m % 2 === 0 ? [i, r] : [r, i]
      expect(toHex(from.send.encryptWithAd(EMPTY, hex(payload)))).toBe(ciphertext)
      expect(toHex(to.receive.decryptWithAd(EMPTY, hex(ciphertext)))).toBe(payload)
    }
  })

  test('XXHandshake — empty payloads give the message sizes the phones expect (32, 96, 64)', () => {
    const [initiator, responder] = pair(crypto)
    const sizes = [initiator.writeMessage(), undefined, undefined]
    responder.readMessage(sizes[0]!)
    sizes[1] = responder.writeMessage()
    initiator.readMessage(sizes[1])
    sizes[2] = initiator.writeMessage()
    responder.readMessage(sizes[2])
    expect(sizes.map(m => m!.length)).toEqual([...XX_MESSAGE_BYTES])
  })

  test('XXHandshake — different prologues fail at the first authenticated message', () => {
    const [initiator, responder] = pair(crypto, { iPrologue: hex('01'), rPrologue: hex('02') })
    responder.readMessage(initiator.writeMessage())
    expect(() => initiator.readMessage(responder.writeMessage())).toThrow(DecodeError)
  })

  // Every bit of message 2 and 3 is covered by a tag except the cleartext ephemeral of message 2, whose
  // change alters ee and so the key of the tag after it.
  test.each([
    ['message 2', 1],
    ['message 3', 2],
  ] as const)('XXHandshake — a flipped bit anywhere in %s is refused', (_, index) => {
    const messages: Uint8Array[] = []
    const [i0, r0] = pair(crypto)
    messages.push(i0.writeMessage()); r0.readMessage(messages[0]!)
    messages.push(r0.writeMessage()); i0.readMessage(messages[1]!)
    messages.push(i0.writeMessage())
    const bits = messages[index]!.length * 8
    for (let bit = 0; bit < bits; bit += 7) {
      const [i, r] = pair(crypto)
      r.readMessage(i.writeMessage())
      if (index === 1) {
        r.writeMessage()
        expect(() => i.readMessage(flipBit(messages[1]!, bit)), `bit ${bit}`).toThrow(DecodeError)
      } else {
        i.readMessage(r.writeMessage())
        i.writeMessage()
        expect(() => r.readMessage(flipBit(messages[2]!, bit)), `bit ${bit}`).toThrow(DecodeError)
      }
    }
  })

  test.each([
    ['message 1 short', 0, 31, 'e'],
    ['message 2 without its tag', 1, 80, 'ciphertext'],
    ['message 2 cut inside s', 1, 50, 's'],
    ['message 3 cut inside s', 2, 40, 's'],
  ] as const)('XXHandshake — a truncated message is a DecodeError naming what was cut (%s)', (_, index, length, field) => {
    const [i, r] = pair(crypto)
    const fieldOf = (read: () => unknown): string | undefined => {
      try { read() } catch (error) { return (error as DecodeError).field }
      return undefined
    }
    const m1 = i.writeMessage()
    if (index === 0) { expect(fieldOf(() => r.readMessage(m1.subarray(0, length)))).toBe(field); return }
    r.readMessage(m1)
    const m2 = r.writeMessage()
    if (index === 1) { expect(fieldOf(() => i.readMessage(m2.subarray(0, length)))).toBe(field); return }
    i.readMessage(m2)
    expect(fieldOf(() => r.readMessage(i.writeMessage().subarray(0, length)))).toBe(field)
  })

  test('XXHandshake — what it reads it copies: the sender may reuse its buffers at once', () => {
    const [i, r] = pair(crypto)
    const m1 = new Uint8Array([...i.writeMessage(new Uint8Array([1, 2, 3]))])
    const payload = r.readMessage(m1)
    m1.fill(0xee)
    expect([...payload]).toEqual([1, 2, 3])
    // The ephemeral read from m1 is what the responder's keys are made from.
    i.readMessage(r.writeMessage())
    r.readMessage(i.writeMessage())
    expect(toHex(i.split().handshakeHash)).toBe(toHex(r.split().handshakeHash))
  })

  test('XXHandshake — a message over 65 535 bytes is refused; one of exactly that is written', () => {
    const [i] = pair(crypto)
    expect(() => i.writeMessage(new Uint8Array(65_535 - 32 + 1))).toThrow(RangeError)
    const [j, r] = pair(crypto)
    const m1 = j.writeMessage(new Uint8Array(65_535 - 32))
    expect(m1.length).toBe(65_535)
    expect(r.readMessage(m1).length).toBe(65_535 - 32)
  })

  test('XXHandshake — a low-order ephemeral from the peer is a DecodeError, not a crash', () => {
    const [, responder] = pair(crypto)
    // u = 0 and u = 1 are points of small order: X25519 with them gives all zeros (RFC 7748 §6.1).
    expect(() => { responder.readMessage(new Uint8Array(32)); responder.writeMessage() }).toThrow(DecodeError)
    expect(() => responder.writeMessage()).toThrow(/failed earlier/)
    const [, again] = pair(crypto)
    const one = new Uint8Array(32); one[0] = 1
    expect(() => { again.readMessage(one); again.writeMessage() }).toThrow(DecodeError)
  })

  test('XXHandshake — a failed message spends the handshake', () => {
    const [i, r] = pair(crypto)
    r.readMessage(i.writeMessage())
    const m2 = r.writeMessage()
    expect(() => i.readMessage(flipBit(m2, 400))).toThrow(DecodeError)
    expect(() => i.readMessage(m2)).toThrow(/failed earlier/)
    expect(() => i.writeMessage()).toThrow(/failed earlier/)
  })

  test.each([
    ['the responder writes first', (_i: XXHandshake, r: XXHandshake) => r.writeMessage()],
    ['the initiator reads first', (i: XXHandshake) => i.readMessage(new Uint8Array(32))],
    ['split before the end', (i: XXHandshake) => i.split()],
    ['the initiator writes twice', (i: XXHandshake) => { i.writeMessage(); i.writeMessage() }],
  ] as const)('XXHandshake — out of turn is a programming error: %s', (_, misuse) => {
    const [i, r] = pair(crypto)
    let thrown: unknown
    try { misuse(i, r) } catch (error) { thrown = error }
    expect(thrown).toBeInstanceOf(Error)
    expect(thrown).not.toBeInstanceOf(DecodeError)
  })

  test('XXHandshake — the remote static key is known after message 2 (initiator) and 3 (responder)', () => {
    const [i, r] = pair(crypto)
    r.readMessage(i.writeMessage())
    expect(r.remoteStaticKey).toBeNull()
    i.readMessage(r.writeMessage())
    expect(toHex(i.remoteStaticKey!)).toBe(toHex(crypto.x25519PublicKey(new Uint8Array(32).fill(3))))
    r.readMessage(i.writeMessage())
    expect(toHex(r.remoteStaticKey!)).toBe(toHex(crypto.x25519PublicKey(new Uint8Array(32).fill(1))))
  })
})

describe('CipherState', () => {
  test.each([
    [0, '000000000000000000000000'],
    [1, '000000000100000000000000'],
    [0x1_0000_0000, '000000000000000001000000'],
    [0xdead_beef_cafe, '00000000fecaefbeadde0000'],
  ])('noiseNonce — %d is 4 zero bytes then 8 little-endian', (n, expected) => {
    expect(toHex(noiseNonce(n))).toBe(expected)
  })

  test('CipherState — a failed decryption leaves the counter where it was', () => {
    const key = new Uint8Array(32).fill(9)
    const sender = new CipherState(nobleCrypto, key)
    const receiver = new CipherState(nobleCrypto, key)
    const first = sender.encryptWithAd(EMPTY, hex('6869'))
    expect(() => receiver.decryptWithAd(EMPTY, flipBit(first, 3))).toThrow(DecodeError)
    expect(receiver.nonce).toBe(0)
    expect(toHex(receiver.decryptWithAd(EMPTY, first))).toBe('6869')
    expect(receiver.nonce).toBe(1)
  })

  test.each(providers)('CipherState — shorter than a tag is a DecodeError saying so (%s provider)', (_, crypto) => {
    expect(() => new CipherState(crypto, new Uint8Array(32)).decryptWithAd(EMPTY, new Uint8Array(15))).toThrow(/shorter than the tag/)
  })

  test.each([
    ['encryptAt', (c: CipherState) => c.encryptAt(0, EMPTY, EMPTY)],
    ['decryptAt', (c: CipherState) => c.decryptAt(0, EMPTY, new Uint8Array(16))],
  ])('CipherState — %s without a key is a programming error', (_, use) => {
    expect(() => use(new CipherState(nobleCrypto))).toThrow(/no key/)
  })

  test('CipherState — the largest exact counter is refused: a counter must never wrap', () => {
    const c = new CipherState(nobleCrypto, new Uint8Array(32).fill(1))
    expect(c.encryptAt(Number.MAX_SAFE_INTEGER - 1, EMPTY, EMPTY).length).toBe(16)
    expect(() => c.encryptAt(Number.MAX_SAFE_INTEGER, EMPTY, EMPTY)).toThrow(/exhausted/)
  })

  test('CipherState — without a key, messages pass through unchanged', () => {
    const c = new CipherState(nobleCrypto)
    expect(toHex(c.encryptWithAd(EMPTY, hex('abcd')))).toBe('abcd')
    expect(c.hasKey).toBe(false)
  })
})
