// Noise_XX_25519_ChaChaPoly_SHA256 (The Noise Protocol Framework, revision 34) over the crypto provider:
// the cipher state, the symmetric state and the XX handshake. Both phones run exactly this suite with an
// empty prologue and empty handshake payloads (bitchat-protocol.md §5.2); prologue, payloads and the
// ephemeral key are parameters so the cacophony and snow vectors can drive it byte for byte.
// Bitchat's transport framing (an explicit counter on every message) lives in noise-transport.ts.
import { concatBytes } from '@noble/hashes/utils.js'
import { DecodeError } from '../wire/decode-error.js'
import type { CryptoProvider } from './provider.js'

export const NOISE_PROTOCOL_NAME = 'Noise_XX_25519_ChaChaPoly_SHA256'
/** X25519 keys and shared secrets (DHLEN), SHA-256 digests (HASHLEN). */
export const NOISE_KEY_BYTES = 32
export const NOISE_TAG_BYTES = 16
/** Noise §3: no message may exceed this. */
export const NOISE_MAX_MESSAGE_BYTES = 65_535
/** XX's three messages with empty payloads: `e`; `e, ee, s, es`; `s, se`. */
export const XX_MESSAGE_BYTES = [32, 32 + 48 + 16, 48 + 16] as const

const EMPTY = new Uint8Array(0)
/** Noise §5.1: the nonce is 2⁶⁴ − 1 at most; JS numbers are exact to 2⁵³, far beyond any session. */
const MAX_NONCE = Number.MAX_SAFE_INTEGER

export interface NoiseKeyPair {
  readonly secretKey: Uint8Array
  readonly publicKey: Uint8Array
}

/** ChaChaPoly's 96-bit nonce: 32 zero bits, then the counter as a little-endian 64-bit integer (Noise §12.3). */
export function noiseNonce (n: number): Uint8Array {
  const nonce = new Uint8Array(12)
  const view = new DataView(nonce.buffer)
  view.setUint32(4, n >>> 0, true)
  view.setUint32(8, Math.floor(n / 0x1_0000_0000), true)
  return nonce
}

/** Noise §5.1: a key and the counter of the next message. */
export class CipherState {
  private n = 0

  constructor (private readonly crypto: CryptoProvider, private readonly k: Uint8Array | null = null) {}

  get hasKey (): boolean {
    return this.k !== null
  }

  /** The counter the next `encryptWithAd` or `decryptWithAd` uses. */
  get nonce (): number {
    return this.n
  }

  encryptWithAd (ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (this.k === null) return plaintext
    const out = this.encryptAt(this.n, ad, plaintext)
    this.n++
    return out
  }

  /** Throws DecodeError when the tag does not verify; the counter then stays where it was (Noise §5.1). */
  decryptWithAd (ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (this.k === null) return ciphertext
    const out = this.decryptAt(this.n, ad, ciphertext)
    this.n++
    return out
  }

  /** Encrypts under an explicit counter, for transports that carry it (Bitchat's). */
  encryptAt (n: number, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (this.k === null) throw new Error('CipherState: no key')
    if (n >= MAX_NONCE) throw new Error('CipherState: nonce exhausted')
    return this.crypto.aeadEncrypt(this.k, noiseNonce(n), plaintext, ad)
  }

  decryptAt (n: number, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (this.k === null) throw new Error('CipherState: no key')
    if (ciphertext.length < NOISE_TAG_BYTES) throw new DecodeError('ciphertext', `${ciphertext.length} bytes is shorter than the tag`)
    const plaintext = this.crypto.aeadDecrypt(this.k, noiseNonce(n), ciphertext, ad)
    if (plaintext === null) throw new DecodeError('ciphertext', 'authentication failed')
    return plaintext
  }
}

/** Noise §5.2: the chaining key, the handshake hash and the cipher keyed from them. */
class SymmetricState {
  private ck: Uint8Array
  h: Uint8Array
  cipher: CipherState

  constructor (private readonly crypto: CryptoProvider) {
    // Noise §5.2: a name of at most HASHLEN bytes is h itself, zero-padded. This one is exactly 32 bytes,
    // so it is neither hashed nor padded (the off-by-one the vectors would catch).
    this.h = new TextEncoder().encode(NOISE_PROTOCOL_NAME)
    this.ck = this.h
    this.cipher = new CipherState(crypto)
  }

  mixKey (ikm: Uint8Array): void {
    const [ck, k] = this.hkdf2(ikm)
    this.ck = ck
    this.cipher = new CipherState(this.crypto, k)
  }

  mixHash (data: Uint8Array): void {
    this.h = this.crypto.sha256(concatBytes(this.h, data))
  }

  encryptAndHash (plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipher.encryptWithAd(this.h, plaintext)
    this.mixHash(ciphertext)
    return ciphertext
  }

  decryptAndHash (ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.cipher.decryptWithAd(this.h, ciphertext)
    this.mixHash(ciphertext)
    return plaintext
  }

  split (): [CipherState, CipherState] {
    const [k1, k2] = this.hkdf2(EMPTY)
    return [new CipherState(this.crypto, k1), new CipherState(this.crypto, k2)]
  }

  /** Noise §4.3 HKDF with two outputs is RFC 5869 with the chaining key as salt and no info. */
  private hkdf2 (ikm: Uint8Array): [Uint8Array, Uint8Array] {
    const out = this.crypto.hkdfSha256(ikm, this.ck, EMPTY, 2 * NOISE_KEY_BYTES)
    return [out.slice(0, NOISE_KEY_BYTES), out.slice(NOISE_KEY_BYTES)]
  }
}

export type NoiseRole = 'initiator' | 'responder'

export interface XXOptions {
  /** Default empty, as both phones use. */
  prologue?: Uint8Array
  /** Our ephemeral key; default a fresh one from the provider (vectors fix it). */
  ephemeral?: NoiseKeyPair
}

/** What a finished handshake hands over: one cipher per direction, the peer's static key, the hash. */
export interface NoiseSplit {
  send: CipherState
  receive: CipherState
  remoteStaticKey: Uint8Array
  /** The final handshake hash: both ends hold the same 32 bytes (channel binding). */
  handshakeHash: Uint8Array
}

/**
 * The XX pattern: `-> e`, `<- e, ee, s, es`, `-> s, se`. Messages alternate, initiator first; a
 * message out of turn is a programming error (Error), a message that does not authenticate or has the
 * wrong length is bad input (DecodeError), after which the handshake is spent: a failed message may have
 * advanced the hash, so it cannot be retried.
 */
export class XXHandshake {
  private readonly ss: SymmetricState
  private e: NoiseKeyPair | null = null
  private re: Uint8Array | null = null
  private rs: Uint8Array | null = null
  private step = 0
  private failed = false

  constructor (
    private readonly crypto: CryptoProvider,
    readonly role: NoiseRole,
    private readonly s: NoiseKeyPair,
    private readonly options: XXOptions = {},
  ) {
    this.ss = new SymmetricState(crypto)
    this.ss.mixHash(options.prologue ?? EMPTY)
  }

  /** All three messages are done: `split` may be called. */
  get complete (): boolean {
    return this.step === 3
  }

  /** Whether the next message is ours to write. */
  get ourTurn (): boolean {
    return !this.complete && (this.step % 2 === 0) === (this.role === 'initiator')
  }

  /** The peer's static key once its `s` token was read (message 2 for the initiator, 3 for the responder). */
  get remoteStaticKey (): Uint8Array | null {
    return this.rs
  }

  writeMessage (payload: Uint8Array = EMPTY): Uint8Array {
    if (this.failed) throw new Error('XXHandshake: failed earlier')
    if (!this.ourTurn) throw new Error(`XXHandshake: message ${this.step + 1} is not the ${this.role}'s to write`)
    try {
      return this.write(payload)
    } catch (error) {
      this.failed = true
      throw error
    }
  }

  /** Returns the message's payload. */
  readMessage (message: Uint8Array): Uint8Array {
    if (this.failed) throw new Error('XXHandshake: failed earlier')
    if (this.complete || this.ourTurn) throw new Error(`XXHandshake: message ${this.step + 1} is not the ${this.role}'s to read`)
    try {
      const payload = this.read(message)
      this.step++
      return payload
    } catch (error) {
      this.failed = true
      throw error
    }
  }

  split (): NoiseSplit {
    if (!this.complete) throw new Error('XXHandshake: split before the handshake is complete')
    const [c1, c2] = this.ss.split()
    const initiator = this.role === 'initiator'
    return {
      send: initiator ? c1 : c2,
      receive: initiator ? c2 : c1,
      remoteStaticKey: this.rs!,
      handshakeHash: this.ss.h,
    }
  }

  /** A DH with the peer's ephemeral (ee, es for the responder) fails here when that key is of low order. */
  private write (payload: Uint8Array): Uint8Array {
    const parts: Uint8Array[] = []
    switch (this.step) {
      case 0:
        parts.push(this.writeE())
        break
      case 1:
        parts.push(this.writeE())
        this.ss.mixKey(this.dh(this.e!, this.re!))
        parts.push(this.ss.encryptAndHash(this.s.publicKey))
        this.ss.mixKey(this.dh(this.s, this.re!))
        break
      case 2:
        parts.push(this.ss.encryptAndHash(this.s.publicKey))
        this.ss.mixKey(this.dh(this.s, this.re!))
        break
    }
    parts.push(this.ss.encryptAndHash(payload))
    this.step++
    const message = concatBytes(...parts)
    if (message.length > NOISE_MAX_MESSAGE_BYTES) throw new RangeError(`Noise message of ${message.length} bytes exceeds ${NOISE_MAX_MESSAGE_BYTES}`)
    return message
  }

  private read (message: Uint8Array): Uint8Array {
    let at = 0
    const take = (length: number, field: string): Uint8Array => {
      if (message.length - at < length) throw new DecodeError(field, `message ${this.step + 1} ends after ${message.length} bytes`)
      const part = message.subarray(at, at + length)
      at += length
      return part
    }
    const encryptedKeyBytes = (): number => NOISE_KEY_BYTES + (this.ss.cipher.hasKey ? NOISE_TAG_BYTES : 0)
    switch (this.step) {
      case 0:
        this.readE(take(NOISE_KEY_BYTES, 'e'))
        break
      case 1:
        this.readE(take(NOISE_KEY_BYTES, 'e'))
        this.ss.mixKey(this.dh(this.e!, this.re!))
        this.rs = this.ss.decryptAndHash(take(encryptedKeyBytes(), 's')).slice()
        this.ss.mixKey(this.dh(this.e!, this.rs))
        break
      case 2:
        this.rs = this.ss.decryptAndHash(take(encryptedKeyBytes(), 's')).slice()
        this.ss.mixKey(this.dh(this.e!, this.rs))
        break
    }
    return this.ss.decryptAndHash(message.subarray(at)).slice()
  }

  private writeE (): Uint8Array {
    const e = this.options.ephemeral ?? generateNoiseKeyPair(this.crypto)
    this.e = e
    this.ss.mixHash(e.publicKey)
    return e.publicKey
  }

  private readE (re: Uint8Array): void {
    this.re = re.slice()
    this.ss.mixHash(this.re)
  }

  /** A remote key of low order gives an all-zero secret, which the provider refuses: bad input, not a bug. */
  private dh (ours: NoiseKeyPair, theirs: Uint8Array): Uint8Array {
    try {
      return this.crypto.x25519(ours.secretKey, theirs)
    } catch (error) {
      throw new DecodeError('key', `Diffie-Hellman failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}

export function noiseKeyPair (crypto: CryptoProvider, secretKey: Uint8Array): NoiseKeyPair {
  return { secretKey, publicKey: crypto.x25519PublicKey(secretKey) }
}

export function generateNoiseKeyPair (crypto: CryptoProvider): NoiseKeyPair {
  return noiseKeyPair(crypto, crypto.randomBytes(NOISE_KEY_BYTES))
}
