import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, test } from 'vitest'
import { MESSAGE_HISTORY_LIMIT, Store } from '../../cli/store.js'

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
