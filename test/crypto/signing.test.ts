import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { identityFromSecrets } from '../../src/crypto/identity.js'
import { nobleCrypto } from '../../src/crypto/noble-provider.js'
import { nodeCrypto } from '../../src/crypto/node-provider.js'
import { signPacket, signingPreimage, verifyPacket } from '../../src/crypto/signing.js'
import { DecodeError } from '../../src/wire/decode-error.js'
import { decodePacket, encodePacket } from '../../src/wire/packet.js'
import { MessageType, PacketFlag, type Packet } from '../../src/wire/packet-types.js'
import { fcOptions, flipBit, hex, toHex } from './helpers.js'

const alice = identityFromSecrets(nobleCrypto, new Uint8Array(32).fill(0x11), new Uint8Array(32).fill(0x22))
const mallory = identityFromSecrets(nobleCrypto, new Uint8Array(32).fill(0x33), new Uint8Array(32).fill(0x44))

const TTL_BYTE = 2
const FLAGS_BYTE = 11

function packet (over: Partial<Packet>): Packet {
  return {
    version: 1,
    type: MessageType.message,
    ttl: 7,
    timestamp: 1_763_700_000_000n,
    senderId: alice.peerId,
    recipientId: null,
    route: [],
    payload: new TextEncoder().encode('hello mesh'),
    isCompressed: false,
    isRSR: false,
    signature: null,
    ...over,
  }
}

/** The frames whose every bit is flipped below: the header variants the codec has. */
const FRAMES: Array<[string, Packet]> = [
  ['v1 announce-type, no recipient', packet({ type: MessageType.announce, payload: hex('0105616c696365') })],
  ['v1 public message to FF×8', packet({ recipientId: new Uint8Array(8).fill(0xff) })],
  ['v2 routed, with recipient', packet({ version: 2, recipientId: mallory.peerId, route: [hex('0102030405060708'), hex('1112131415161718')] })],
  ['v1 compressed payload', packet({ isCompressed: true, payload: hex('0040' + '4bcc4f' + '00'.repeat(5)) })],
  ['v2 compressed, routed', packet({ version: 2, isCompressed: true, route: [hex('a1a2a3a4a5a6a7a8')], payload: hex('00000040' + '4bcc4f' + '00'.repeat(5)) })],
]

function verifiesAfterDecode (frame: Uint8Array, key: Uint8Array, crypto = nobleCrypto): boolean {
  let decoded: Packet
  try {
    decoded = decodePacket(frame)
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error
    return false
  }
  return verifyPacket(crypto, key, decoded)
}

/**
 * Which single-bit flips must leave a signed frame valid, and why: TTL (relays decrement it), and in the
 * flags byte RSR (0x10) and the bits no phone interprets (0x20–0x80, and 0x08 on v1) — the preimage is
 * re-encoded from fields that cannot hold them. Every other bit is covered by the signature.
 */
function flipMayVerify (bit: number, version: 1 | 2): boolean {
  const byte = bit >> 3
  const mask = 0x80 >> (bit & 7)
  if (byte === TTL_BYTE) return true
  if (byte !== FLAGS_BYTE) return false
  if (mask === PacketFlag.isRSR || mask >= 0x20) return true
  return mask === PacketFlag.hasRoute && version === 1
}

describe('signingPreimage', () => {
  test('signingPreimage — byte layout: TTL 0, signature flag and bytes gone, RSR cleared, padded to 256 (§5.3, §6.1)', () => {
    const signed = packet({ ttl: 5, isRSR: true, signature: new Uint8Array(64).fill(9) })
    // Written out by hand from bitchat-protocol.md §2.1, not through encodePacket.
    const header = '01' + '02' + '00' + '0000019aa4b64500' + '00' + '000a' + toHex(alice.peerId) + toHex(signed.payload)
    const frameLength = header.length / 2
    const pad = 256 - frameLength
    expect(toHex(signingPreimage(signed))).toBe(header + pad.toString(16).padStart(2, '0').repeat(pad))
  })

  test('signingPreimage — the same for any TTL, RSR and signature; unknown flag bits are not part of it', () => {
    const base = signingPreimage(packet({}))
    for (const over of [{ ttl: 0 }, { ttl: 255 }, { isRSR: true }, { signature: new Uint8Array(64) }, { extraFlags: 0xe0 }]) {
      expect(toHex(signingPreimage(packet(over))), JSON.stringify(Object.keys(over))).toBe(toHex(base))
    }
  })

  test('signingPreimage — route, recipient, version, type, timestamp, payload and compression all change it', () => {
    const base = toHex(signingPreimage(packet({ version: 2 })))
    const variants: Array<Partial<Packet>> = [
      { route: [hex('0102030405060708')] },
      { recipientId: new Uint8Array(8).fill(0xff) },
      { version: 1 },
      { type: MessageType.announce },
      { timestamp: 1_763_700_000_001n },
      { payload: new TextEncoder().encode('hello mesH') },
      { isCompressed: true, payload: hex('0000000a' + '00'.repeat(6)) },
      { senderId: mallory.peerId },
    ]
    for (const over of variants) expect(toHex(signingPreimage(packet({ version: 2, ...over }))), JSON.stringify(Object.keys(over))).not.toBe(base)
  })

  test('signingPreimage — padded even for types sent unpadded, and left unpadded when no bucket fits', () => {
    expect(signingPreimage(packet({ type: MessageType.announce })).length).toBe(256)
    expect(signingPreimage(packet({ payload: new Uint8Array(300) })).length).toBe(512)
    const big = packet({ payload: new Uint8Array(2100) })
    expect(toHex(signingPreimage(big))).toBe(toHex(encodePacket({ ...big, ttl: 0 })))
  })
})

describe.each([nobleCrypto, nodeCrypto])('signPacket / verifyPacket ($name)', (crypto) => {
  test('verifyPacket — a signed packet verifies with the signer\'s key and not with another', () => {
    const signed = signPacket(crypto, alice, packet({}))
    expect(signed.signature?.length).toBe(64)
    expect(verifyPacket(crypto, alice.signingPublicKey, signed)).toBe(true)
    expect(verifyPacket(crypto, mallory.signingPublicKey, signed)).toBe(false)
    expect(verifyPacket(crypto, alice.signingPublicKey, signPacket(crypto, mallory, packet({})))).toBe(false)
  })

  test('signPacket / verifyPacket — preimages built one after another in a reused buffer match fresh ones', () => {
    // Longest first, so every later preimage lands on bytes an earlier one wrote: a short recipient ID is
    // zero-padded on the wire, and stale bytes under it would sign something the phones never hash.
    const sequence = [
      packet({ payload: new Uint8Array(1500).fill(0xaa), recipientId: new Uint8Array(8).fill(0xff) }),
      packet({ version: 2, route: [new Uint8Array(8).fill(0xee)], recipientId: new Uint8Array(8).fill(0xdd) }),
      packet({ recipientId: Uint8Array.of(1, 2, 3) }),
      packet({ payload: new Uint8Array(0) }),
      packet({ payload: new Uint8Array(5000).fill(0x55) }), // no padding bucket fits: a buffer of its own
    ]
    for (const p of sequence) {
      const fresh = crypto.ed25519Sign(alice.signingSecretKey, signingPreimage(p))
      expect(signPacket(crypto, alice, p).signature).toEqual(fresh)
      expect(verifyPacket(crypto, alice.signingPublicKey, { ...p, signature: fresh })).toBe(true)
    }
  })

  test('verifyPacket — a missing signature is false', () => {
    expect(verifyPacket(crypto, alice.signingPublicKey, packet({ signature: null }))).toBe(false)
  })

  test('signPacket — returns a copy; the input keeps its (absent) signature', () => {
    const unsigned = packet({})
    const signed = signPacket(crypto, alice, unsigned)
    expect(unsigned.signature).toBeNull()
    expect(signed).not.toBe(unsigned)
    expect({ ...signed, signature: null }).toEqual(unsigned)
  })

  test('verifyPacket — every TTL verifies (relays decrement it), as does RSR set by a relay', () => {
    const frame = encodePacket(signPacket(crypto, alice, packet({ type: MessageType.announce })))
    for (let ttl = 0; ttl < 256; ttl++) {
      const relayed = frame.slice()
      relayed[TTL_BYTE] = ttl
      expect(verifiesAfterDecode(relayed, alice.signingPublicKey, crypto)).toBe(true)
    }
    const rsr = frame.slice()
    rsr[FLAGS_BYTE]! |= PacketFlag.isRSR
    expect(verifiesAfterDecode(rsr, alice.signingPublicKey, crypto)).toBe(true)
  })
})

describe('verifyPacket — single bit flips of a signed frame', () => {
  test.each(FRAMES)('verifyPacket — %s: every flipped bit outside TTL/RSR/unused flags fails', (_name, p) => {
    const frame = encodePacket(signPacket(nobleCrypto, alice, p))
    expect(verifiesAfterDecode(frame, alice.signingPublicKey)).toBe(true)
    const wrong: number[] = []
    for (let bit = 0; bit < frame.length * 8; bit++) {
      if (verifiesAfterDecode(flipBit(frame, bit), alice.signingPublicKey) !== flipMayVerify(bit, p.version)) wrong.push(bit)
    }
    expect(wrong).toEqual([])
  })

  test('verifyPacket — the node provider rejects the same flips (checked on the routed v2 frame)', () => {
    const p = FRAMES[2]![1]
    const frame = encodePacket(signPacket(nodeCrypto, alice, p))
    for (let bit = 0; bit < frame.length * 8; bit++) {
      expect(verifiesAfterDecode(flipBit(frame, bit), alice.signingPublicKey, nodeCrypto), `bit ${bit}`).toBe(flipMayVerify(bit, 2))
    }
  })
})

test('signPacket — any packet round-trips through the wire and verifies; another key never does', () => {
  const id8 = fc.uint8Array({ minLength: 8, maxLength: 8 })
  fc.assert(fc.property(
    fc.record({
      version: fc.constantFrom<1 | 2>(1, 2),
      type: fc.integer({ min: 0, max: 255 }),
      ttl: fc.integer({ min: 0, max: 255 }),
      timestamp: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      recipientId: fc.option(id8, { nil: null }),
      route: fc.array(id8, { maxLength: 3 }),
      payload: fc.uint8Array({ maxLength: 2200 }),
      isRSR: fc.boolean(),
    }),
    (r) => {
      const p = packet({ ...r, route: r.version === 2 ? r.route : [] })
      const decoded = decodePacket(encodePacket(signPacket(nobleCrypto, alice, p)))
      expect(verifyPacket(nobleCrypto, alice.signingPublicKey, decoded)).toBe(true)
      expect(verifyPacket(nobleCrypto, mallory.signingPublicKey, decoded)).toBe(false)
    },
  ), fcOptions(300))
})
