import { describe, expect, test } from 'vitest'
import { acceptAnnounce } from '../../src/crypto/announce-acceptance.js'
import { identityFromSecrets, type Identity } from '../../src/crypto/identity.js'
import { nobleCrypto } from '../../src/crypto/noble-provider.js'
import { nodeCrypto } from '../../src/crypto/node-provider.js'
import { signPacket } from '../../src/crypto/signing.js'
import { encodeAnnounce, type Announce } from '../../src/wire/announce.js'
import { nodeDeflater } from '../../src/wire/node-deflater.js'
import { decodePacket, encodePacket } from '../../src/wire/packet.js'
import { MessageType, type Packet } from '../../src/wire/packet-types.js'
import { toHex } from './helpers.js'

const alice = identityFromSecrets(nobleCrypto, new Uint8Array(32).fill(0xa1), new Uint8Array(32).fill(0xa2))
const mallory = identityFromSecrets(nobleCrypto, new Uint8Array(32).fill(0x66), new Uint8Array(32).fill(0x67))

function announceOf (id: Identity, over: Partial<Announce> = {}): Announce {
  return { nickname: 'alice', noisePublicKey: id.noisePublicKey, signingPublicKey: id.signingPublicKey, neighbors: [], capabilities: null, geohash: null, unknown: [], ...over }
}

function announcePacket (senderId: Uint8Array, payload: Uint8Array, over: Partial<Packet> = {}): Packet {
  return { version: 1, type: MessageType.announce, ttl: 7, timestamp: 1_763_700_000_000n, senderId, recipientId: null, route: [], payload, isCompressed: false, isRSR: false, signature: null, ...over }
}

/** As a receiver sees it: encoded by the sender, decoded here. */
function received (p: Packet): Packet {
  return decodePacket(encodePacket(p))
}

describe.each([nobleCrypto, nodeCrypto])('acceptAnnounce ($name)', (crypto) => {
  test('acceptAnnounce — a signed announce from the key holder is accepted with its keys', () => {
    const result = acceptAnnounce(crypto, received(signPacket(crypto, alice, announcePacket(alice.peerId, encodeAnnounce(announceOf(alice))))))
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(toHex(result.noisePublicKey)).toBe(toHex(alice.noisePublicKey))
    expect(toHex(result.signingPublicKey)).toBe(toHex(alice.signingPublicKey))
    expect(result.announce.nickname).toBe('alice')
  })

  test.each<[string, Uint8Array]>([
    ['empty payload', new Uint8Array(0)],
    ['nickname only', Uint8Array.of(0x01, 0x01, 0x61)],
    ['TLV cut short', Uint8Array.of(0x01, 0x05, 0x61, 0x62)],
    ['Noise key of 31 bytes', Uint8Array.of(0x01, 0x01, 0x61, 0x02, 31, ...new Uint8Array(31), 0x03, 32, ...new Uint8Array(32))],
  ])('acceptAnnounce — %s: rejected as decode', (_name, payload) => {
    const result = acceptAnnounce(crypto, received(signPacket(crypto, alice, announcePacket(alice.peerId, payload))))
    expect(result).toEqual({ ok: false, reason: 'decode' })
  })

  test('acceptAnnounce — sender ID that is not SHA-256(Noise key)[0..8]: peer-id, even when validly signed', () => {
    const wrongSender = alice.peerId.slice()
    wrongSender[7]! ^= 1
    const p = received(signPacket(crypto, alice, announcePacket(wrongSender, encodeAnnounce(announceOf(alice)))))
    expect(acceptAnnounce(crypto, p)).toEqual({ ok: false, reason: 'peer-id' })
    const claimsMallorysKey = received(signPacket(crypto, alice, announcePacket(alice.peerId, encodeAnnounce(announceOf(alice, { noisePublicKey: mallory.noisePublicKey })))))
    expect(acceptAnnounce(crypto, claimsMallorysKey)).toEqual({ ok: false, reason: 'peer-id' })
  })

  test('acceptAnnounce — no signature: unsigned', () => {
    expect(acceptAnnounce(crypto, received(announcePacket(alice.peerId, encodeAnnounce(announceOf(alice)))))).toEqual({ ok: false, reason: 'unsigned' })
  })

  test('acceptAnnounce — signed by another key than the embedded one: signature', () => {
    const p = received(signPacket(crypto, mallory, announcePacket(alice.peerId, encodeAnnounce(announceOf(alice)))))
    expect(acceptAnnounce(crypto, p)).toEqual({ ok: false, reason: 'signature' })
  })

  test('acceptAnnounce — nickname changed after signing: signature', () => {
    const signed = signPacket(crypto, alice, announcePacket(alice.peerId, encodeAnnounce(announceOf(alice))))
    const tampered = { ...signed, payload: encodeAnnounce(announceOf(alice, { nickname: 'alicf' })) }
    expect(acceptAnnounce(crypto, received(tampered))).toEqual({ ok: false, reason: 'signature' })
  })

  test('acceptAnnounce — a self-consistent announce with a swapped signing key passes: pinning is the peer table\'s job', () => {
    // Mallory announces Alice's Noise key (so Alice's peer ID) with Mallory's own Ed25519 key, and signs.
    // All three §5.1 checks pass; only TOFU pinning of Alice's earlier key (step 4) can refuse this.
    const p = received(signPacket(crypto, mallory, announcePacket(alice.peerId, encodeAnnounce(announceOf(alice, { signingPublicKey: mallory.signingPublicKey })))))
    const result = acceptAnnounce(crypto, p)
    expect(result.ok).toBe(true)
    if (result.ok) expect(toHex(result.signingPublicKey)).toBe(toHex(mallory.signingPublicKey))
  })

  test('acceptAnnounce — a compressed announce is read through the inflater; without one it is decode', () => {
    const tlv = encodeAnnounce(announceOf(alice, { nickname: 'a'.repeat(120) }))
    const deflated = nodeDeflater.deflateRaw(tlv)
    const payload = Uint8Array.of(tlv.length >> 8, tlv.length & 0xff, ...deflated)
    const p = received(signPacket(crypto, alice, announcePacket(alice.peerId, payload, { isCompressed: true })))
    const withInflater = acceptAnnounce(crypto, p, nodeDeflater)
    expect(withInflater.ok && withInflater.announce.nickname).toBe('a'.repeat(120))
    expect(acceptAnnounce(crypto, p)).toEqual({ ok: false, reason: 'decode' })
  })

  test('acceptAnnounce — another packet type is a programmer error', () => {
    expect(() => acceptAnnounce(crypto, announcePacket(alice.peerId, new Uint8Array(0), { type: MessageType.message }))).toThrow(/type 0x2/)
  })
})
