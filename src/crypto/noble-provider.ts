// The reference CryptoProvider, on the audited pure-JS @noble libraries. It defines the answers: the
// node:crypto provider is held to give the same ones byte for byte (test/crypto/providers-agree.test.ts).
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import type { CryptoProvider } from './provider.js'

/** Ed25519 key and signature sizes (RFC 8032 §5.1). */
export const ED25519_PUBLIC_KEY_BYTES = 32
export const ED25519_SECRET_KEY_BYTES = 32
export const ED25519_SIGNATURE_BYTES = 64
/** X25519 key size (RFC 7748 §5). */
export const X25519_KEY_BYTES = 32
/** ChaCha20-Poly1305 key, nonce and tag sizes (RFC 8439 §2.8). */
export const AEAD_KEY_BYTES = 32
export const AEAD_NONCE_BYTES = 12
export const AEAD_TAG_BYTES = 16
/** RFC 5869 §2.3: L ≤ 255·HashLen. */
export const HKDF_SHA256_MAX_LENGTH = 255 * 32

/**
 * Strict RFC 8032 verification: canonical encodings of A and R, S < L, small-order A rejected, cofactored
 * equation. noble's default is ZIP-215 (lenient, consensus-style); strict is what makes every provider —
 * and every phone library we can test against — give one answer for crafted signatures.
 */
const STRICT = { zip215: false } as const

export function assertLength (what: string, bytes: Uint8Array, length: number): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new Error(`${what} must be ${length} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`)
  }
}

export function assertHkdfLength (length: number): void {
  if (!Number.isInteger(length) || length < 0 || length > HKDF_SHA256_MAX_LENGTH) {
    throw new Error(`HKDF-SHA256 length must be an integer in 0..${HKDF_SHA256_MAX_LENGTH}, got ${length}`)
  }
}

/** One message for both providers, so a low-order key cannot tell them apart (Noise spec §14 fingerprinting). */
export const X25519_LOW_ORDER_MESSAGE = 'x25519: low-order public key (all-zero shared secret)'

/** Strict Ed25519 verification on noble; false for anything malformed, never throws. */
export function nobleEd25519Verify (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) return false
  try {
    return ed25519.verify(signature, message, publicKey, STRICT)
  } catch {
    return false
  }
}

export const nobleCrypto: CryptoProvider = {
  name: 'noble',

  sha256: (data) => sha256(data),

  hmacSha256: (key, data) => hmac(sha256, key, data),

  hkdfSha256 (ikm, salt, info, length) {
    assertHkdfLength(length)
    return hkdf(sha256, ikm, salt, info, length)
  },

  x25519PublicKey (secretKey) {
    assertLength('X25519 secret key', secretKey, X25519_KEY_BYTES)
    return x25519.getPublicKey(secretKey)
  },

  x25519 (secretKey, publicKey) {
    assertLength('X25519 secret key', secretKey, X25519_KEY_BYTES)
    assertLength('X25519 public key', publicKey, X25519_KEY_BYTES)
    let shared: Uint8Array
    try {
      shared = x25519.getSharedSecret(secretKey, publicKey)
    } catch {
      // noble refuses exactly the all-zero output (RFC 7748 §6.1 "check"), i.e. a low-order peer key.
      throw new Error(X25519_LOW_ORDER_MESSAGE)
    }
    if (shared.every((b) => b === 0)) throw new Error(X25519_LOW_ORDER_MESSAGE)
    return shared
  },

  ed25519PublicKey (secretKey) {
    assertLength('Ed25519 secret key', secretKey, ED25519_SECRET_KEY_BYTES)
    return ed25519.getPublicKey(secretKey)
  },

  ed25519Sign (secretKey, message) {
    assertLength('Ed25519 secret key', secretKey, ED25519_SECRET_KEY_BYTES)
    return ed25519.sign(message, secretKey)
  },

  ed25519Verify: nobleEd25519Verify,

  aeadEncrypt (key, nonce, plaintext, ad) {
    assertLength('AEAD key', key, AEAD_KEY_BYTES)
    assertLength('AEAD nonce', nonce, AEAD_NONCE_BYTES)
    // A fresh instance per message: noble refuses a second encrypt on one instance (nonce-reuse guard).
    return chacha20poly1305(key, nonce, ad).encrypt(plaintext)
  },

  aeadDecrypt (key, nonce, ciphertext, ad) {
    assertLength('AEAD key', key, AEAD_KEY_BYTES)
    assertLength('AEAD nonce', nonce, AEAD_NONCE_BYTES)
    if (ciphertext.length < AEAD_TAG_BYTES) return null
    try {
      return chacha20poly1305(key, nonce, ad).decrypt(ciphertext)
    } catch {
      return null
    }
  },

  // WebCrypto's getRandomValues through noble's wrapper; over 64 KiB it throws (the WebCrypto quota) —
  // the stack only ever asks for keys and nonces.
  randomBytes: (length) => randomBytes(length),
}
