import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, test } from 'vitest'
import { MESSAGE_HISTORY_LIMIT, Store } from '../../cli/store.js'
import { MAX_PINNED_PEERS } from '../../src/mesh/peers.js'

const dirs: string[] = []
function tempDb (): string {
  const dir = mkdtempSync(join(tmpdir(), 'blemesh-store-'))
  dirs.push(dir)
  return join(dir, 'node.db')
}
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

const key = (fill: number): Uint8Array => new Uint8Array(32).fill(fill)

describe('Store', () => {
  test('Store — identity survives closing and reopening the file', () => {
    const path = tempDb()
    const a = new Store(path)
    expect(a.loadIdentity()).toBeUndefined()
    a.saveIdentity({ noiseSecretKey: key(1), signingSecretKey: key(2), nickname: 'pi-relay' })
    a.setNickname('roof')
    a.close()
    const b = new Store(path)
    expect(b.loadIdentity()).toEqual({ noiseSecretKey: key(1), signingSecretKey: key(2), nickname: 'roof' })
    b.close()
  })

  test('Store — pinned keys are never replaced, last-seen still moves', () => {
    const store = new Store(tempDb())
    const peer = { peerId: '0011223344556677', noisePublicKey: key(3), signingPublicKey: key(4), nickname: 'alice' }
    expect(store.pinPeer({ ...peer, seenAtMs: 1000 })).toBe(true)
    expect(store.pinPeer({ ...peer, signingPublicKey: key(5), nickname: 'mallory', seenAtMs: 2000 })).toBe(false)
    expect(store.pinPeer({ ...peer, nickname: 'alice2', seenAtMs: 3000 })).toBe(true)
    expect(store.pinnedPeers()).toEqual([{ ...peer, nickname: 'alice2', firstSeenMs: 1000, lastSeenMs: 3000 }])
    store.close()
  })

  test('Store — keeps the most recently seen pins up to its bound, least recently seen first', () => {
    const path = tempDb()
    const store = new Store(path, 3)
    const pin = (id: string, fill: number, seenAtMs: number): boolean =>
      store.pinPeer({ peerId: id.repeat(16), noisePublicKey: key(fill), signingPublicKey: key(fill + 1), nickname: id, seenAtMs })
    pin('a', 10, 1000)
    pin('b', 20, 2000)
    pin('c', 30, 3000)
    pin('a', 10, 4000) // seen again: now the most recent
    expect(pin('d', 40, 5000)).toBe(true)
    expect(store.pinnedPeers().map(p => [p.nickname, p.lastSeenMs])).toEqual([['c', 3000], ['a', 4000], ['d', 5000]])
    // A clock that went back still keeps the pin just made; the oldest other goes.
    expect(pin('e', 50, 500)).toBe(true)
    expect(store.pinnedPeers().map(p => p.nickname)).toEqual(['e', 'a', 'd'])
    // b was forgotten, so other keys under its ID are a first sight now.
    expect(pin('b', 60, 6000)).toBe(true)
    expect(store.pinnedPeers().find(p => p.nickname === 'b')?.noisePublicKey).toEqual(key(60))
    store.close()
  })

  test('Store — by default keeps as many pins as a peer table holds', () => {
    const path = tempDb()
    const store = new Store(path)
    for (let i = 0; i <= MAX_PINNED_PEERS; i++) {
      store.pinPeer({ peerId: i.toString(16).padStart(16, '0'), noisePublicKey: key(1), signingPublicKey: key(2), nickname: `p${i}`, seenAtMs: i })
    }
    const pins = store.pinnedPeers()
    expect(pins).toHaveLength(MAX_PINNED_PEERS)
    expect(pins[0]!.nickname).toBe('p1')
    store.close()
  })

  test('Store — a version 1 file is upgraded in place, its pins kept', () => {
    const path = tempDb()
    const raw = new Database(path)
    raw.exec(`
      CREATE TABLE identity (id INTEGER PRIMARY KEY CHECK (id = 1), noise_secret BLOB NOT NULL, signing_secret BLOB NOT NULL, nickname TEXT NOT NULL);
      CREATE TABLE peers (peer_id TEXT PRIMARY KEY, noise_public BLOB NOT NULL, signing_public BLOB NOT NULL,
        nickname TEXT NOT NULL, first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL);
      CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, sender_id TEXT NOT NULL, nickname TEXT NOT NULL,
        text TEXT NOT NULL, timestamp_ms INTEGER NOT NULL, received_at_ms INTEGER NOT NULL);
      CREATE INDEX messages_by_time ON messages (timestamp_ms);
      PRAGMA user_version = 1;`)
    raw.prepare('INSERT INTO peers VALUES (?, ?, ?, ?, ?, ?)').run('00112233aabbccdd', Buffer.from(key(7)), Buffer.from(key(8)), 'old', 5, 9)
    raw.close()
    const store = new Store(path)
    expect(store.pinnedPeers()).toEqual([{ peerId: '00112233aabbccdd', noisePublicKey: key(7), signingPublicKey: key(8), nickname: 'old', firstSeenMs: 5, lastSeenMs: 9 }])
    store.close()
    const check = new Database(path, { readonly: true })
    expect(check.pragma('user_version', { simple: true })).toBe(2)
    expect(check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'peers' AND name = 'peers_by_last_seen'").get()).toEqual({ name: 'peers_by_last_seen' })
    check.close()
  })

  test('Store — message history keeps the newest entries, oldest first', () => {
    const path = tempDb()
    const store = new Store(path)
    const total = MESSAGE_HISTORY_LIMIT + 5
    for (let i = 0; i < total; i++) {
      store.addMessage({ senderId: 'aa', nickname: 'a', text: `m${i}`, timestampMs: i, receivedAtMs: i })
    }
    expect(store.recentMessages(3).map(m => m.text)).toEqual([`m${total - 3}`, `m${total - 2}`, `m${total - 1}`])
    store.close()
    const raw = new Database(path, { readonly: true })
    expect(raw.prepare('SELECT COUNT(*) AS n FROM messages').get()).toEqual({ n: MESSAGE_HISTORY_LIMIT })
    raw.close()
  })

  test('Store — refuses a database written by a newer schema', () => {
    const path = tempDb()
    const raw = new Database(path)
    raw.pragma('user_version = 99')
    raw.close()
    expect(() => new Store(path)).toThrow(/newer than this blemesh/)
  })
})
