// The node's memory between runs, in one SQLite file: its identity (so the peer ID survives restarts),
// the keys it pinned for other peers (so a restart cannot be used to swap them), and the public chat.
import Database from 'better-sqlite3'
import { MAX_PINNED_PEERS } from '../src/mesh/peers.js'

export interface StoredIdentity {
  noiseSecretKey: Uint8Array
  signingSecretKey: Uint8Array
  nickname: string
}

export interface PinnedPeer {
  peerId: string
  noisePublicKey: Uint8Array
  signingPublicKey: Uint8Array
  nickname: string
  firstSeenMs: number
  lastSeenMs: number
}

export interface StoredMessage {
  senderId: string
  nickname: string
  text: string
  timestampMs: number
  receivedAtMs: number
}

/** Schema version; bump with a migration step below when a table changes. */
const SCHEMA_VERSION = 2

/** How many public messages are kept; older ones are deleted on insert (iOS keeps 6 h of public history). */
export const MESSAGE_HISTORY_LIMIT = 10_000

export class Store {
  private readonly db: Database.Database

  constructor (path: string, private readonly maxPins = MAX_PINNED_PEERS) {
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('foreign_keys = ON')
    this.migrate()
  }

  private migrate (): void {
    const version = this.db.pragma('user_version', { simple: true }) as number
    if (version > SCHEMA_VERSION) {
      throw new Error(`store: database schema ${version} is newer than this blemesh (${SCHEMA_VERSION}); upgrade blemesh`)
    }
    if (version < 1) {
      this.db.exec(`
        CREATE TABLE identity (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          noise_secret BLOB NOT NULL, signing_secret BLOB NOT NULL, nickname TEXT NOT NULL);
        CREATE TABLE peers (
          peer_id TEXT PRIMARY KEY, noise_public BLOB NOT NULL, signing_public BLOB NOT NULL,
          nickname TEXT NOT NULL, first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL);
        CREATE TABLE messages (
          id INTEGER PRIMARY KEY AUTOINCREMENT, sender_id TEXT NOT NULL, nickname TEXT NOT NULL,
          text TEXT NOT NULL, timestamp_ms INTEGER NOT NULL, received_at_ms INTEGER NOT NULL);
        CREATE INDEX messages_by_time ON messages (timestamp_ms);
        PRAGMA user_version = 1;`)
    }
    if (version < 2) {
      // Version 2 bounds the pins, dropping the least recently seen; this index finds them.
      this.db.exec(`
        CREATE INDEX peers_by_last_seen ON peers (last_seen_ms);
        PRAGMA user_version = 2;`)
    }
  }

  loadIdentity (): StoredIdentity | undefined {
    const row = this.db.prepare('SELECT noise_secret, signing_secret, nickname FROM identity WHERE id = 1')
      .get() as { noise_secret: Buffer, signing_secret: Buffer, nickname: string } | undefined
    if (row === undefined) return undefined
    return { noiseSecretKey: new Uint8Array(row.noise_secret), signingSecretKey: new Uint8Array(row.signing_secret), nickname: row.nickname }
  }

  saveIdentity (identity: StoredIdentity): void {
    this.db.prepare(`INSERT INTO identity (id, noise_secret, signing_secret, nickname) VALUES (1, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET noise_secret = excluded.noise_secret, signing_secret = excluded.signing_secret,
      nickname = excluded.nickname`)
      .run(Buffer.from(identity.noiseSecretKey), Buffer.from(identity.signingSecretKey), identity.nickname)
  }

  setNickname (nickname: string): void {
    this.db.prepare('UPDATE identity SET nickname = ? WHERE id = 1').run(nickname)
  }

  /** Every pin, least recently seen first: the order a peer table that evicts its oldest pins wants them in. */
  pinnedPeers (): PinnedPeer[] {
    const rows = this.db.prepare('SELECT * FROM peers ORDER BY last_seen_ms, peer_id').all() as Array<{
      peer_id: string, noise_public: Buffer, signing_public: Buffer, nickname: string, first_seen_ms: number, last_seen_ms: number
    }>
    return rows.map(r => ({
      peerId: r.peer_id,
      noisePublicKey: new Uint8Array(r.noise_public),
      signingPublicKey: new Uint8Array(r.signing_public),
      nickname: r.nickname,
      firstSeenMs: r.first_seen_ms,
      lastSeenMs: r.last_seen_ms,
    }))
  }

  /**
   * Records a verified peer. Keys are pinned on first sight: a later call with other keys for the same peer
   * ID changes nothing and returns false, so the caller can refuse and log the attempt. At most
   * `maxPins` are kept, the least recently seen going first: announces under fresh keys cost a forger
   * nothing, and every one used to add a row for good, so a neighbour could fill a relay's SD card. The
   * bound is the peer table's own, so a restart gets back every pin the node was still using.
   */
  pinPeer (peer: Omit<PinnedPeer, 'firstSeenMs' | 'lastSeenMs'> & { seenAtMs: number }): boolean {
    const existing = this.db.prepare('SELECT noise_public, signing_public FROM peers WHERE peer_id = ?')
      .get(peer.peerId) as { noise_public: Buffer, signing_public: Buffer } | undefined
    if (existing !== undefined) {
      const same = Buffer.compare(existing.noise_public, Buffer.from(peer.noisePublicKey)) === 0 &&
        Buffer.compare(existing.signing_public, Buffer.from(peer.signingPublicKey)) === 0
      if (!same) return false
      this.db.prepare('UPDATE peers SET nickname = ?, last_seen_ms = ? WHERE peer_id = ?')
        .run(peer.nickname, peer.seenAtMs, peer.peerId)
      return true
    }
    this.db.transaction(() => {
      this.db.prepare(`INSERT INTO peers (peer_id, noise_public, signing_public, nickname, first_seen_ms, last_seen_ms)
        VALUES (?, ?, ?, ?, ?, ?)`).run(peer.peerId, Buffer.from(peer.noisePublicKey), Buffer.from(peer.signingPublicKey),
        peer.nickname, peer.seenAtMs, peer.seenAtMs)
      this.db.prepare(`DELETE FROM peers WHERE peer_id IN (SELECT peer_id FROM peers WHERE peer_id != ?
        ORDER BY last_seen_ms, peer_id LIMIT max(0, (SELECT COUNT(*) FROM peers) - ?))`).run(peer.peerId, this.maxPins)
    })()
    return true
  }

  addMessage (message: StoredMessage): void {
    this.db.transaction(() => {
      this.db.prepare(`INSERT INTO messages (sender_id, nickname, text, timestamp_ms, received_at_ms)
        VALUES (?, ?, ?, ?, ?)`).run(message.senderId, message.nickname, message.text, message.timestampMs, message.receivedAtMs)
      this.db.prepare(`DELETE FROM messages WHERE id <= (SELECT MAX(id) FROM messages) - ?`).run(MESSAGE_HISTORY_LIMIT)
    })()
  }

  /** The newest `limit` public messages, oldest first. */
  recentMessages (limit = 50): StoredMessage[] {
    const rows = this.db.prepare(`SELECT sender_id, nickname, text, timestamp_ms, received_at_ms FROM
      (SELECT * FROM messages ORDER BY id DESC LIMIT ?) ORDER BY id ASC`).all(limit) as Array<{
      sender_id: string, nickname: string, text: string, timestamp_ms: number, received_at_ms: number
    }>
    return rows.map(r => ({ senderId: r.sender_id, nickname: r.nickname, text: r.text, timestampMs: r.timestamp_ms, receivedAtMs: r.received_at_ms }))
  }

  close (): void {
    this.db.close()
  }
}
