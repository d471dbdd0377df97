// A CryptoProvider on node:crypto (OpenSSL), for speed on real nodes. It must answer exactly as the noble
// provider does for every input — including crafted Ed25519 signatures — so that a node's choice of
// provider can never decide whether a packet is accepted. Where OpenSSL's rules differ from noble's strict
// RFC 8032 mode, the difference is closed here, and each check says which case it closes
// (test/fixtures/crypto/ed25519-speccheck.json has the cases).
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto'
import { equalBytes } from '@noble/ciphers/utils.js'
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { LRUCache } from 'lru-cache'
import {
  AEAD_KEY_BYTES,
  AEAD_NONCE_BYTES,
  AEAD_TAG_BYTES,
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SECRET_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  X25519_KEY_BYTES,
  X25519_LOW_ORDER_MESSAGE,
  assertHkdfLength,
  assertLength,
  nobleEd25519Verify,
} from './noble-provider.js'
import type { CryptoProvider } from './provider.js'

// DER wrappers that turn raw 32-byte keys into KeyObjects (RFC 8410: SubjectPublicKeyInfo and PKCS#8
// OneAsymmetricKey for id-Ed25519 1.3.101.112 and id-X25519 1.3.101.110). The raw key is the DER tail.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex')
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')
const SPKI_RAW_KEY_OFFSET = 12

/** Node's hkdfSync refuses an `info` longer than this (Node docs, crypto.hkdfSync); noble has no limit. */
const NODE_HKDF_MAX_INFO_BYTES = 1024
/** Verification keys kept imported: roughly the peers a node hears at once (our choice; import ≈ a verify). */
const PUBLIC_KEY_CACHE_ENTRIES = 256

const publicKeyCache = new LRUCache<string, KeyObject>({ max: PUBLIC_KEY_CACHE_ENTRIES })

/**
 * Imported secret keys, keyed by the caller's own array (an identity's keys are long-lived objects), with
 * a copy of the bytes so a reused, rewritten buffer is noticed instead of signing with a stale key.
 */
const secretKeyCache = new WeakMap<Uint8Array, { bytes: Uint8Array, key: KeyObject }>()

function secretKeyObject (secretKey: Uint8Array, prefix: Buffer): KeyObject {
  const hit = secretKeyCache.get(secretKey)
  if (hit !== undefined && equalBytes(hit.bytes, secretKey) && hit.key.asymmetricKeyType === keyTypeOf(prefix)) return hit.key
  const key = createPrivateKey({ key: Buffer.concat([prefix, secretKey]), format: 'der', type: 'pkcs8' })
  secretKeyCache.set(secretKey, { bytes: secretKey.slice(), key })
  return key
}

function keyTypeOf (prefix: Buffer): 'ed25519' | 'x25519' {
  return prefix === ED25519_PKCS8_PREFIX ? 'ed25519' : 'x25519'
}

function ed25519PublicKeyObject (publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('hex')
  let key = publicKeyCache.get(id)
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' })
    publicKeyCache.set(id, key)
  }
  return key
}

function rawPublicKey (key: KeyObject): Uint8Array {
  const der = createPublicKey(key).export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(SPKI_RAW_KEY_OFFSET))
}

/** The y-coordinate bytes of an encoded Edwards point: the encoding with its sign bit (bit 255) cleared. */
function yBytes (encoded: Uint8Array): Uint8Array {
  const y = encoded.slice(0, 32)
  y[31]! &= 0x7f
  return y
}

/** y-coordinates of the eight points of order dividing 8 (noble's table), sign bit cleared. */
const SMALL_ORDER_Y = ED25519_TORSION_SUBGROUP.map((h) => yBytes(Buffer.from(h, 'hex')))

/**
 * y < p = 2^255 − 19 (RFC 8032 §5.1.3 step 1: a y ≥ p "fails decoding"). The non-canonical values are
 * p..2^255−1: low byte ≥ 0xed, the middle bytes 0xff, top byte 0x7f once the sign bit is cleared.
 */
function isCanonicalY (encoded: Uint8Array): boolean {
  if ((encoded[31]! & 0x7f) !== 0x7f) return true
  for (let i = 30; i >= 1; i--) if (encoded[i] !== 0xff) return true
  return encoded[0]! < 0xed
}

function isSmallOrderEncoding (encoded: Uint8Array): boolean {
  const y = yBytes(encoded)
  return SMALL_ORDER_Y.some((small) => equalBytes(small, y))
}

function ed25519Verify (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) return false
  // OpenSSL decodes A with y taken mod p and accepts it (speccheck case 11: a non-canonical A verifies);
  // strict RFC 8032 — and noble — reject the encoding outright.
  if (!isCanonicalY(publicKey)) return false
  // OpenSSL has no small-order key check, so with A of order ≤ 8 it accepts signatures that verify for
  // many messages at once (speccheck cases 0 and 1: S = 0 "signs" anything). noble strict rejects such A.
  // Checking y also catches "x = 0 with the sign bit set" (y = ±1 are both small-order), which noble rejects.
  if (isSmallOrderEncoding(publicKey)) return false
  let accepted: boolean
  try {
    accepted = verify(null, message, ed25519PublicKeyObject(publicKey), signature)
  } catch {
    accepted = false // not a curve point: noble cannot decode it either
  }
  // OpenSSL checks the cofactorless equation [S]B = R + [k]A with S < L and compares R as bytes (so R is
  // canonical). With A canonical and not small-order, that implies everything noble strict checks:
  // acceptance here is final.
  if (accepted) return true
  // OpenSSL can reject where noble's cofactored equation [8][S]B = [8]R + [8][k]A holds: when A or R carry
  // a torsion component (speccheck cases 4 and 5). Telling those apart needs Edwards point arithmetic,
  // which node:crypto does not expose, so a rejection is confirmed by noble. Honest signatures never take
  // this path; forged or corrupted ones cost what they cost on the noble provider.
  return nobleEd25519Verify(publicKey, message, signature)
}

/** RFC 5869 with HMAC-SHA256 from node:crypto, for the `info` lengths hkdfSync refuses. */
function hkdfByHmac (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  // An empty salt is HashLen zero bytes (§2.2); HMAC zero-pads its key, so passing it empty is the same.
  const prk = createHmac('sha256', salt).update(ikm).digest()
  const out = new Uint8Array(length)
  let block: Uint8Array = new Uint8Array(0)
  for (let offset = 0, counter = 1; offset < length; counter++) {
    block = createHmac('sha256', prk).update(block).update(info).update(Uint8Array.of(counter)).digest()
    out.set(block.subarray(0, Math.min(block.length, length - offset)), offset)
    offset += block.length
  }
  return out
}

export const nodeCrypto: CryptoProvider = {
  name: 'node',

  sha256: (data) => new Uint8Array(createHash('sha256').update(data).digest()),

  hmacSha256: (key, data) => new Uint8Array(createHmac('sha256', key).update(data).digest()),

  hkdfSha256 (ikm, salt, info, length) {
    assertHkdfLength(length)
    if (info.length > NODE_HKDF_MAX_INFO_BYTES) return hkdfByHmac(ikm, salt, info, length)
    return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length))
  },

  x25519PublicKey (secretKey) {
    assertLength('X25519 secret key', secretKey, X25519_KEY_BYTES)
    return rawPublicKey(secretKeyObject(secretKey, X25519_PKCS8_PREFIX))
  },

  x25519 (secretKey, publicKey) {
    assertLength('X25519 secret key', secretKey, X25519_KEY_BYTES)
    assertLength('X25519 public key', publicKey, X25519_KEY_BYTES)
    const privateKey = secretKeyObject(secretKey, X25519_PKCS8_PREFIX)
    let shared: Uint8Array
    try {
      const peer = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' })
      shared = new Uint8Array(diffieHellman({ privateKey, publicKey: peer }))
    } catch {
      // OpenSSL fails the derivation exactly when the output is all zero (a low-order peer key).
      throw new Error(X25519_LOW_ORDER_MESSAGE)
    }
    if (shared.every((b) => b === 0)) throw new Error(X25519_LOW_ORDER_MESSAGE)
    return shared
  },

  ed25519PublicKey (secretKey) {
    assertLength('Ed25519 secret key', secretKey, ED25519_SECRET_KEY_BYTES)
    return rawPublicKey(secretKeyObject(secretKey, ED25519_PKCS8_PREFIX))
  },

  ed25519Sign (secretKey, message) {
    assertLength('Ed25519 secret key', secretKey, ED25519_SECRET_KEY_BYTES)
    return new Uint8Array(sign(null, message, secretKeyObject(secretKey, ED25519_PKCS8_PREFIX)))
  },

  ed25519Verify,

  aeadEncrypt (key, nonce, plaintext, ad) {
    assertLength('AEAD key', key, AEAD_KEY_BYTES)
    assertLength('AEAD nonce', nonce, AEAD_NONCE_BYTES)
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_BYTES })
    cipher.setAAD(ad, { plaintextLength: plaintext.length })
    const body = cipher.update(plaintext)
    cipher.final()
    const out = new Uint8Array(body.length + AEAD_TAG_BYTES)
    out.set(body)
    out.set(cipher.getAuthTag(), body.length)
    return out
  },

  aeadDecrypt (key, nonce, ciphertext, ad) {
    assertLength('AEAD key', key, AEAD_KEY_BYTES)
    assertLength('AEAD nonce', nonce, AEAD_NONCE_BYTES)
    if (ciphertext.length < AEAD_TAG_BYTES) return null
    const bodyLength = ciphertext.length - AEAD_TAG_BYTES
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_BYTES })
    decipher.setAAD(ad, { plaintextLength: bodyLength })
    decipher.setAuthTag(ciphertext.subarray(bodyLength))
    const body = decipher.update(ciphertext.subarray(0, bodyLength))
    try {
      decipher.final()
    } catch {
      return null // tag mismatch; the plaintext computed so far is discarded
    }
    return new Uint8Array(body)
  },

  randomBytes: (length) => new Uint8Array(randomBytes(length)),
}
