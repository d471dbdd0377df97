// The primitives the stack needs, behind one interface so a pure-JS and a native implementation can be
// swapped and checked against each other (and a cheap one used by the simulator at scale).

export interface CryptoProvider {
  readonly name: string
  sha256 (data: Uint8Array): Uint8Array
  /**
   * Optional: SHA-256 of `data[start, end)` into `out` (32 bytes), allocating nothing. The router hashes the
   * payload of every frame it receives, copies included, to look it up; where a provider has this, that
   * lookup allocates nothing (a simulated reception allocated ~1.6 KB, a fifth of it there).
   */
  sha256Into? (data: Uint8Array, start: number, end: number, out: Uint8Array): void
  hmacSha256 (key: Uint8Array, data: Uint8Array): Uint8Array
  /** RFC 5869 HKDF-SHA256. */
  hkdfSha256 (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array
  /** Returns the 32-byte public key for a 32-byte X25519 secret. */
  x25519PublicKey (secretKey: Uint8Array): Uint8Array
  /** Diffie-Hellman; throws on an all-zero shared secret (low-order point). */
  x25519 (secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array
  ed25519PublicKey (secretKey: Uint8Array): Uint8Array
  ed25519Sign (secretKey: Uint8Array, message: Uint8Array): Uint8Array
  /** Strict RFC 8032 verification (no ZIP-215 leniency); false for any malformed input, never throws. */
  ed25519Verify (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean
  /** ChaCha20-Poly1305 (RFC 8439); returns ciphertext || 16-byte tag. */
  aeadEncrypt (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array
  /** Returns null when the tag does not verify. */
  aeadDecrypt (key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array | null
  randomBytes (length: number): Uint8Array
}
