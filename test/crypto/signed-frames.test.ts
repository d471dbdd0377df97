// Our own regression vectors for complete signed frames (test/fixtures/crypto/signed-frames.json, see its
// note: self-generated, since upstream publishes none). Rebuilding each frame from the fixed secrets must
// give the stored bytes exactly, and both providers must verify the stored frame as received.
import { describe, expect, test } from 'vitest'
import { acceptAnnounce } from '../../src/crypto/announce-acceptance.js'
import { identityFromSecrets } from '../../src/crypto/identity.js'
import { nobleCrypto } from '../../src/crypto/noble-provider.js'
import { nodeCrypto } from '../../src/crypto/node-provider.js'
import { signPacket, signingPreimage, verifyPacket } from '../../src/crypto/signing.js'
import { decodePacket, encodePacket } from '../../src/wire/packet.js'
import type { Packet } from '../../src/wire/packet-types.js'
import { hex, readFixture, toHex } from './helpers.js'

interface SignedFrames {
  identity: { noiseSecretKey: string, signingSecretKey: string, noisePublicKey: string, signingPublicKey: string, peerId: string, fingerprint: string }
  frames: Array<{ name: string, type: number, timestamp: string, payload: string, preimage: string, signature: string, frame: string }>
}

const fixture = readFixture<SignedFrames>('signed-frames.json')
const providers = [nobleCrypto, nodeCrypto]

describe.each(providers)('signed-frames.json ($name)', (crypto) => {
  const id = identityFromSecrets(crypto, hex(fixture.identity.noiseSecretKey), hex(fixture.identity.signingSecretKey))

  test('signed frames — identity from the fixed secrets matches', () => {
    expect(toHex(id.noisePublicKey)).toBe(fixture.identity.noisePublicKey)
    expect(toHex(id.signingPublicKey)).toBe(fixture.identity.signingPublicKey)
    expect(id.peerIdHex).toBe(fixture.identity.peerId)
    expect(id.fingerprint).toBe(fixture.identity.fingerprint)
  })

  test.each(fixture.frames.map((f) => [f.name, f]))('signed frames — %s rebuilds byte for byte', (_name, f) => {
    const unsigned: Packet = {
      version: 1, type: f.type, ttl: 7, timestamp: BigInt(f.timestamp), senderId: id.peerId, recipientId: null,
      route: [], payload: hex(f.payload), isCompressed: false, isRSR: false, signature: null,
    }
    expect(toHex(signingPreimage(unsigned))).toBe(f.preimage)
    const signed = signPacket(crypto, id, unsigned)
    expect(toHex(signed.signature!)).toBe(f.signature)
    expect(toHex(encodePacket(signed))).toBe(f.frame)
  })

  test.each(fixture.frames.map((f) => [f.name, f]))('signed frames — stored %s verifies as received, and not under another key', (_name, f) => {
    const received = decodePacket(hex(f.frame))
    expect(verifyPacket(crypto, hex(fixture.identity.signingPublicKey), received)).toBe(true)
    expect(crypto.ed25519Verify(hex(fixture.identity.signingPublicKey), hex(f.preimage), hex(f.signature))).toBe(true)
    const other = identityFromSecrets(crypto, new Uint8Array(32).fill(1), new Uint8Array(32).fill(2))
    expect(verifyPacket(crypto, other.signingPublicKey, received)).toBe(false)
  })

  test('signed frames — the stored announce passes announce acceptance', () => {
    const announce = fixture.frames.find((f) => f.name === 'announce')!
    const result = acceptAnnounce(crypto, decodePacket(hex(announce.frame)))
    expect(result.ok).toBe(true)
    if (result.ok) expect(result.announce.nickname).toBe('alice')
  })
})
