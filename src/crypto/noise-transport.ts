// Bitchat's Noise transport messages (bitchat-protocol.md §5.2), which depart from plain Noise: each one
// carries its counter in clear, `counter (4, big-endian) || ChaCha20-Poly1305 ciphertext || tag`, and the
// receiver decrypts under that counter. Why: a flooded mesh delivers neither in order nor surely, and a
// plain Noise receiver, which counts for itself, loses every message after a gap. A sliding window of
// 1024 counters refuses replays ([iOS] NoiseCipherState; [AND] NoiseSession.kt REPLAY_WINDOW_SIZE).
import { DecodeError } from '../wire/decode-error.js'
import { NOISE_MAX_MESSAGE_BYTES, NOISE_TAG_BYTES, type CipherState } from './noise.js'

export const TRANSPORT_COUNTER_BYTES = 4
/** Counter prefix and tag ([iOS] transportCiphertextOverhead). */
export const TRANSPORT_OVERHEAD_BYTES = TRANSPORT_COUNTER_BYTES + NOISE_TAG_BYTES
/** [iOS] NoiseCipherState: the sender's counter must stay within 32 bits, below the all-ones value. */
export const MAX_TRANSPORT_COUNTER = 0xffff_fffe
/** [iOS] NoiseSecurityConstants.maxMessageSize: 64 KiB of plaintext (private files excepted, not sent here). */
export const MAX_TRANSPORT_PLAINTEXT_BYTES = NOISE_MAX_MESSAGE_BYTES
export const REPLAY_WINDOW = 1024

const EMPTY = new Uint8Array(0)

/** Which counters were seen among the REPLAY_WINDOW up to the highest one. */
export class ReplayWindow {
  private highest = -1
  private readonly seen = new Uint32Array(REPLAY_WINDOW / 32)

  /** Not seen yet and not older than the window. */
  accepts (n: number): boolean {
    if (n > this.highest) return true
    if (this.highest - n >= REPLAY_WINDOW) return false
    return !this.has(n)
  }

  /** Call only after the message under `n` authenticated: a forgery must not move the window. */
  mark (n: number): void {
    if (n > this.highest) {
      // Positions between the old highest and n come back into use for counters not yet seen.
      const from = Math.max(this.highest + 1, n - REPLAY_WINDOW + 1)
      for (let k = from; k <= n; k++) this.seen[(k % REPLAY_WINDOW) >>> 5]! &= ~(1 << (k & 31))
      this.highest = n
    }
    this.seen[(n % REPLAY_WINDOW) >>> 5]! |= 1 << (n & 31)
  }

  private has (n: number): boolean {
    return (this.seen[(n % REPLAY_WINDOW) >>> 5]! & (1 << (n & 31))) !== 0
  }
}

/** One established session's two directions. */
export class NoiseTransport {
  private readonly window = new ReplayWindow()

  /** `counter` is what the first message gets: 0 after a handshake (a test may start near the end). */
  constructor (private readonly sender: CipherState, private readonly receiver: CipherState, private counter = 0) {}

  /** The counter the next message gets. */
  get sent (): number {
    return this.counter
  }

  /** No counter is left: `encrypt` would throw, and a new handshake must renew the session. */
  get exhausted (): boolean {
    return this.counter > MAX_TRANSPORT_COUNTER
  }

  /** Throws (Error, not DecodeError) when the counter is spent: the session must be renewed by a handshake. */
  encrypt (plaintext: Uint8Array): Uint8Array {
    if (plaintext.length > MAX_TRANSPORT_PLAINTEXT_BYTES) throw new RangeError(`Noise plaintext of ${plaintext.length} bytes exceeds ${MAX_TRANSPORT_PLAINTEXT_BYTES}`)
    if (this.exhausted) throw new Error('Noise transport counter exhausted; a new handshake is needed')
    const n = this.counter++
    const sealed = this.sender.encryptAt(n, EMPTY, plaintext)
    const out = new Uint8Array(TRANSPORT_COUNTER_BYTES + sealed.length)
    new DataView(out.buffer).setUint32(0, n, false)
    out.set(sealed, TRANSPORT_COUNTER_BYTES)
    return out
  }

  /** DecodeError for a short frame, a replayed or too old counter, or a tag that does not verify. */
  decrypt (frame: Uint8Array): Uint8Array {
    if (frame.length < TRANSPORT_OVERHEAD_BYTES) throw new DecodeError('ciphertext', `${frame.length} bytes is shorter than counter and tag`)
    const n = new DataView(frame.buffer, frame.byteOffset, frame.length).getUint32(0, false)
    if (!this.window.accepts(n)) throw new DecodeError('counter', `message ${n} was replayed or is older than the window`)
    const plaintext = this.receiver.decryptAt(n, EMPTY, frame.subarray(TRANSPORT_COUNTER_BYTES))
    this.window.mark(n)
    return plaintext
  }
}
