// A node's long-term identity as the phones define it (bitchat-protocol.md §2.2, §5.1): an X25519 static
// key for Noise and a separate Ed25519 key for signatures. The peer ID and the fingerprint both derive
// from the Noise key, so a claimed sender ID can be checked against an announced key.
import { bytesToHex } from '@noble/hashes/utils.js'
import { PEER_ID_BYTES } from '../wire/packet-types.js'
import type { CryptoProvider } from './provider.js'

/** Both secrets are 32 bytes (RFC 7748 §5, RFC 8032 §5.1.5). */
export const IDENTITY_SECRET_BYTES = 32

export interface Identity {
  readonly noiseSecretKey: Uint8Array
  readonly noisePublicKey: Uint8Array
  readonly signingSecretKey: Uint8Array
  readonly signingPublicKey: Uint8Array
  /** First 8 bytes of SHA-256(noisePublicKey): the sender ID on every frame. */
  readonly peerId: Uint8Array
  /** `peerId` as 16 lowercase hex characters, as the phones show and compare it. */
  readonly peerIdHex: string
  /** Full SHA-256(noisePublicKey) in lowercase hex: what users compare out of band. */
  readonly fingerprint: string
}

/** Peer ID = SHA-256(X25519 public key)[0..8] ([iOS] PeerID.swift init(publicKey:); [AND] NoisePeerIdentity.kt). */
export function peerIdFromNoiseKey (crypto: CryptoProvider, noisePublicKey: Uint8Array): Uint8Array {
  return crypto.sha256(noisePublicKey).slice(0, PEER_ID_BYTES)
}

/** Lowercase hex of any byte string (peer IDs: 16 characters). */
export function peerIdHex (bytes: Uint8Array): string {
  return bytesToHex(bytes)
}

export function identityFromSecrets (crypto: CryptoProvider, noiseSecretKey: Uint8Array, signingSecretKey: Uint8Array): Identity {
  if (noiseSecretKey.length !== IDENTITY_SECRET_BYTES || signingSecretKey.length !== IDENTITY_SECRET_BYTES) {
    throw new Error(`identity secrets must be ${IDENTITY_SECRET_BYTES} bytes each`)
  }
  const noisePublicKey = crypto.x25519PublicKey(noiseSecretKey)
  const digest = crypto.sha256(noisePublicKey)
  const peerId = digest.slice(0, PEER_ID_BYTES)
  return Object.freeze({
    // Copies, so a caller reusing its buffers cannot change the identity underneath us.
    noiseSecretKey: noiseSecretKey.slice(),
    noisePublicKey,
    signingSecretKey: signingSecretKey.slice(),
    signingPublicKey: crypto.ed25519PublicKey(signingSecretKey),
    peerId,
    peerIdHex: peerIdHex(peerId),
    fingerprint: bytesToHex(digest),
  })
}

/** A fresh identity from the provider's random source (the simulator's provider makes it reproducible). */
export function generateIdentity (crypto: CryptoProvider): Identity {
  return identityFromSecrets(crypto, crypto.randomBytes(IDENTITY_SECRET_BYTES), crypto.randomBytes(IDENTITY_SECRET_BYTES))
}
