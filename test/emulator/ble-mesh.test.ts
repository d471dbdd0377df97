// blemesh nodes as separate processes on BlueZ-emulated LE controllers: real HCI, ATT and GATT through
// noble and bleno, nothing faked. One emulator, tests in order (they share one virtual air).
// Each node runs its central on one controller and its peripheral on another; address allow lists make
// the exact topology (btvirt gives every link handle 42, so one link per controller: hci-emulator.md §6).
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { Store } from '../../cli/store.js'
import { systemClock } from '../../cli/system.js'
import { openAdapters } from '../../hardware/adapters.js'
import { BleTransport } from '../../hardware/ble-transport.js'
import { SEEN_TTL_MS } from '../../hardware/central-role.js'
import { SeededRandom } from '../../src/prng.js'
import { Emulator, emulatorAvailability, type Controller, type NodeEvent, type NodeProcess } from './harness.js'

const availability = emulatorAvailability()
if (!availability.ok) {
  if (process.env.CI === 'true') {
    test('emulator — the harness is available in CI', () => {
      throw new Error(`emulator tests cannot run in CI: ${availability.reason}`)
    })
  } else {
    process.stderr.write(`emulator tests skipped: ${availability.reason}\n`)
  }
}

/** A 4 KB public message: several fragments at the 514-byte payload of a 517-byte ATT MTU. */
const BIG_TEXT = Array.from({ length: 4096 }, (_, i) => String.fromCharCode(97 + (i * 7) % 26)).join('')

const isMessage = (text: string) => (e: NodeEvent): boolean => e.event === 'message' && e.text === text
const isPeer = (peerId: string) => (e: NodeEvent): boolean => e.event === 'peer' && e.peerId === peerId

interface Pair { central: Controller, peripheral: Controller }

describe.runIf(availability.ok).sequential('emulated controllers', () => {
  let emulator: Emulator
  const c: Record<'a' | 'b' | 'c', Pair> = {} as Record<'a' | 'b' | 'c', Pair>
  let nodes: NodeProcess[] = []

  beforeAll(async () => {
    emulator = await Emulator.start()
    for (const name of ['a', 'b', 'c'] as const) {
      c[name] = { central: await emulator.addController(), peripheral: await emulator.addController() }
    }
  }, 60_000)

  afterAll(async () => {
    await emulator?.stop()
  }, 30_000)

  async function stopAll (): Promise<void> {
    for (const n of nodes) await n.stop()
    nodes = []
  }

  // A failed test must not leave its nodes on the shared air for the next one.
  afterEach(async () => { await stopAll() }, 30_000)

  type LinkRow = { role: string, address: string, peerId: string }
  /** Asks the node for /stats until its links satisfy `done` (links come and go asynchronously). */
  async function linksOnceSettled (node: NodeProcess, done: (links: LinkRow[]) => boolean): Promise<LinkRow[]> {
    for (let attempt = 0; attempt < 60; attempt++) {
      const from = node.events.length
      node.write('/stats')
      const stats = await node.waitFor(e => e.event === 'stats', 'stats', 10_000, from)
      const links = stats.links as LinkRow[]
      if (done(links)) return links
      await new Promise(resolve => setTimeout(resolve, 500))
    }
    throw new Error(`${node.name}: links never settled\n${node.tail()}`)
  }

  /** A chain a – b – c: each link is a's (or b's) central to the next node's peripheral, and nothing else. */
  async function chain (names: Array<'a' | 'b' | 'c'>, extraArgs: string[] = [], noStdin: string[] = []): Promise<NodeProcess[]> {
    const started: NodeProcess[] = []
    for (let i = 0; i < names.length; i++) {
      const me = c[names[i]!]
      const next = i + 1 < names.length ? c[names[i + 1]!] : undefined
      const prev = i > 0 ? c[names[i - 1]!] : undefined
      const allow = [next?.peripheral.address, prev?.central.address].filter((a): a is string => a !== undefined)
      const node = await emulator.startNode({ name: names[i]!, central: me.central, peripheral: me.peripheral, allow, extraArgs, noStdin: noStdin.includes(names[i]!) })
      nodes.push(node)
      started.push(node)
    }
    return started
  }

  test('emulator — two nodes link, exchange announces and a signed public message', async () => {
    const [a, b] = await chain(['a', 'b'])
    const aReady = await a!.waitFor(e => e.event === 'ready', 'ready')
    const bReady = await b!.waitFor(e => e.event === 'ready', 'ready')
    expect(aReady.central).toBe(c.a.central.address)
    expect(bReady.peripheral).toBe(c.b.peripheral.address)
    await a!.waitFor(isPeer(String(bReady.peerId)), 'b announced')
    await b!.waitFor(isPeer(String(aReady.peerId)), 'a announced')
    const link = await a!.waitFor(e => e.event === 'link-up', 'link up')
    // noble asks for the ATT maximum and our bleno server grants it (bleno alone caps at 256).
    expect(link).toMatchObject({ role: 'central', address: c.b.peripheral.address, mtu: 514 })
    expect(await b!.waitFor(e => e.event === 'link-up', 'link up')).toMatchObject({ role: 'peripheral', address: c.a.central.address, mtu: 514 })
    a!.write('hello over real GATT')
    const got = await b!.waitFor(isMessage('hello over real GATT'), 'message at b')
    expect(got).toMatchObject({ senderId: aReady.peerId, nickname: 'a', hops: 0 })
    b!.write('and back')
    await a!.waitFor(isMessage('and back'), 'message at a')
    await stopAll()
  }, 120_000)

  test('emulator — chain a–b–c relays a broadcast, a fragmented 4 KB payload and a private message end to end; b has no stdin, as a relay beacon under systemd', async () => {
    const [a, b, cc] = await chain(['a', 'b', 'c'], [], ['b'])
    const aId = String((await a!.waitFor(e => e.event === 'ready', 'ready')).peerId)
    const cId = String((await cc!.waitFor(e => e.event === 'ready', 'ready')).peerId)
    // c learns of a only through b's relay: there is no a–c link.
    await cc!.waitFor(isPeer(aId), 'a announced at c (relayed)', 60_000)
    await a!.waitFor(isPeer(cId), 'c announced at a (relayed)', 60_000)
    a!.write('over two hops')
    const relayed = await cc!.waitFor(isMessage('over two hops'), 'broadcast at c')
    expect(relayed).toMatchObject({ senderId: aId, hops: 1 })
    await b!.waitFor(isMessage('over two hops'), 'broadcast at b')
    a!.write(BIG_TEXT)
    const big = await cc!.waitFor(isMessage(BIG_TEXT), '4 KB payload at c', 60_000)
    expect(big.senderId).toBe(aId)
    // A private message by nickname: a Noise XX handshake and the message through b, which cannot read
    // them, and c's delivery receipt back the same way.
    a!.write('/msg c for c alone')
    const sent = await a!.waitFor(e => e.event === 'private-sent', 'private message sent')
    expect(sent).toMatchObject({ peerId: cId, text: 'for c alone' })
    const secret = await cc!.waitFor(e => e.event === 'private-message', 'private message at c', 60_000)
    expect(secret).toMatchObject({ senderId: aId, nickname: 'a', text: 'for c alone', messageId: sent.messageId })
    await a!.waitFor(e => e.event === 'receipt' && e.messageId === sent.messageId && e.kind === 'delivered', 'delivery receipt at a', 60_000)
    expect(b!.events.filter(e => e.event === 'private-message')).toEqual([])
    expect(cc!.events.filter(e => e.event === 'link-up')).toHaveLength(1)
    await stopAll()
  }, 180_000)

  test('emulator — two nodes that dial each other keep one link (the one where the lower peer ID is central)', async () => {
    // No allow lists: each central finds the other's peripheral, so two links form and must collapse.
    const a = await emulator.startNode({ name: 'a', central: c.a.central, peripheral: c.a.peripheral, deny: [c.c.peripheral.address, c.c.central.address] })
    const b = await emulator.startNode({ name: 'b', central: c.b.central, peripheral: c.b.peripheral, deny: [c.c.peripheral.address, c.c.central.address] })
    nodes.push(a, b)
    const aId = String((await a.waitFor(e => e.event === 'ready', 'ready')).peerId)
    const bId = String((await b.waitFor(e => e.event === 'ready', 'ready')).peerId)
    const [low, high] = aId < bId ? [a, b] : [b, a]
    const lowCentral = aId < bId ? c.a.central.address : c.b.central.address
    const lowId = aId < bId ? aId : bId
    const highPeripheral = aId < bId ? c.b.peripheral.address : c.a.peripheral.address
    // Whichever end hears the other's announce first closes the redundant link; the other end sees it go
    // (as a disconnect or an unsubscribe). Both ends must agree on the survivor.
    await Promise.any([a, b].map(async n => await n.waitFor(e => e.event === 'link-down' && e.reason === 'redundant link', 'collapse', 60_000)))
    const highLinks = await linksOnceSettled(high, links => links.length === 1)
    expect(highLinks[0]).toMatchObject({ role: 'peripheral', address: lowCentral, peerId: lowId })
    const lowLinks = await linksOnceSettled(low, links => links.length === 1)
    // (Its peer ID may still be unknown there: the next announce may have gone out before this link existed.)
    expect(lowLinks[0]).toMatchObject({ role: 'central', address: highPeripheral })
    low.write('still linked')
    await high.waitFor(isMessage('still linked'), 'message over the surviving link')
    await stopAll()
  }, 120_000)

  test('emulator — one controller in both roles: advertising is re-armed after noble\'s pre-connect reset', async () => {
    // noble and bleno on one controller through a raw-socket-like multiplexer (uart-mux.ts). btvirt gives
    // every link handle 42, so this controller may hold only one link at a time (hci-emulator.md §6).
    const [shared0, shared1] = await emulator.addSharedController()
    // The periodic re-arm is pushed out of reach: only the re-arm after a connect attempt can save us.
    const s = await emulator.startNode({
      name: 's', central: shared0, peripheral: shared1, allow: [c.a.peripheral.address, c.b.central.address],
      extraArgs: ['--shared-controller', '--advertising-rearm-ms', '600000'],
    })
    nodes.push(s)
    const ready = await s.waitFor(e => e.event === 'ready', 'ready')
    expect(ready.central).toBe(ready.peripheral)
    const address = String(ready.central)
    const p = await emulator.startNode({ name: 'p', peripheral: c.a.peripheral, allow: [address] })
    // s's central connects: noble resets the controller first, which silently stops bleno's advertising.
    await s.waitFor(e => e.event === 'link-up' && e.role === 'central', 's links to p as central', 60_000)
    await p.stop()
    await s.waitFor(e => e.event === 'link-down', 's loses p', 60_000)
    // Only now does a central look for s: it finds s only if advertising was re-armed.
    const central = await emulator.startNode({ name: 'c', central: c.b.central, allow: [address] })
    nodes.push(central)
    await central.waitFor(e => e.event === 'link-up', 'c links to s\'s peripheral', 60_000)
    await central.waitFor(isPeer(String(ready.peerId)), 's announced to c', 60_000)
    // s keeps redialling the departed p, and each attempt makes a second link on a controller whose links
    // all get handle 42; writes towards s are unreliable in that state, so the message goes from s.
    s.write('from the shared adapter')
    await central.waitFor(isMessage('from the shared adapter'), 'message at c', 60_000)
    await stopAll()
  }, 180_000)

  test('emulator — a link dropped mid-transfer comes back and carries the next payload', async () => {
    const [a, b] = await chain(['a', 'b'])
    const bId = String((await b!.waitFor(e => e.event === 'ready', 'ready')).peerId)
    await a!.waitFor(isPeer(bId), 'b announced')
    const linksBefore = a!.events.filter(e => e.event === 'link-up').length
    a!.write(BIG_TEXT)
    a!.write('/drop')
    await a!.waitFor(e => e.event === 'link-down', 'link down')
    // The central reconnects after its backoff (the dropped link counts as a flap).
    await a!.waitFor(e => e.event === 'link-up', 'link up again', 60_000, a!.events.findIndex(e => e.event === 'link-down'))
    expect(a!.events.filter(e => e.event === 'link-up').length).toBe(linksBefore + 1)
    const second = `${BIG_TEXT.slice(0, 4000)}-after-the-drop`
    // Announces go first on a new link; wait for b to see a again before measuring delivery.
    await b!.waitFor(e => e.event === 'link-up', 'b sees the new link', 60_000, b!.events.findIndex(e => e.event === 'link-down'))
    a!.write(second)
    await b!.waitFor(isMessage(second), 'payload after the drop', 60_000)
    await stopAll()
  }, 180_000)

  test.each([
    ['a public message, once a peer is known', [], 'message'],
    ['a private message to b once b is known (exiting on b\'s receipt)', ['--to', 'b'], 'private-message'],
  ])('emulator — `blemesh node --send` delivers %s, then exits 0', async (_, to, event) => {
    const b = await emulator.startNode({ name: 'b', central: c.b.central, peripheral: c.b.peripheral, allow: [c.a.central.address] })
    nodes.push(b)
    const a = await emulator.startNode({
      name: 'a', central: c.a.central, peripheral: c.a.peripheral, allow: [c.b.peripheral.address], extraArgs: ['--send', 'one-shot', ...to, '--wait', '60'],
    })
    nodes.push(a)
    await b.waitFor(e => e.event === event && e.text === 'one-shot', 'one-shot message', 60_000)
    expect(await a.exited()).toBe(0)
    await stopAll()
  }, 120_000)

  test('emulator — a restarted node rejoins with the same peer ID', async () => {
    const [a, b] = await chain(['a', 'b'])
    const aId = String((await a!.waitFor(e => e.event === 'ready', 'ready')).peerId)
    await b!.waitFor(isPeer(aId), 'a announced')
    await a!.stop()
    nodes = nodes.filter(n => n !== a)
    // a was stopped with SIGTERM, as systemd stops a service: it says goodbye before it hangs up.
    await b!.waitFor(e => e.event === 'peer-left' && e.peerId === aId && e.reason === 'leave', 'b hears a leave', 60_000)
    await b!.waitFor(e => e.event === 'link-down', 'b sees the link go', 60_000)
    const a2 = await emulator.startNode({ name: 'a', central: c.a.central, peripheral: c.a.peripheral, allow: [c.b.peripheral.address] })
    nodes.push(a2)
    expect((await a2.waitFor(e => e.event === 'ready', 'ready')).peerId).toBe(aId)
    await a2.waitFor(e => e.event === 'link-up', 'rejoined', 60_000)
    a2.write('back again')
    await b!.waitFor(isMessage('back again'), 'message after restart', 60_000)
    await stopAll()
    // b's SQLite file kept what it learnt: a's pinned keys and the chat.
    const store = new Store(join(emulator.dir, 'b.db'))
    expect(store.pinnedPeers().map(p => p.peerId)).toContain(aId)
    expect(store.recentMessages().map(m => m.text)).toContain('back again')
    store.close()
  }, 180_000)

  test('emulator — noble forgets an advertiser that went away: the janitor against the real library', async () => {
    const logger = pino({ level: 'silent' })
    const adapters = await openAdapters({ central: { kind: 'uart', port: c.c.central.port, baudRate: 1_000_000 }, peripheral: null }, systemClock, logger)
    // No links (the cap is 0): the central only scans, and sweeps every second.
    const transport = new BleTransport({ ...adapters, clock: systemClock, random: new SeededRandom(1), logger, policy: { maxLinks: 0 }, scanRestartMs: 1_000, nobleSweepMs: 1_000 })
    try {
      await transport.start({ onLink: () => {} })
      const noble = adapters.central!.noble as unknown as {
        _peripherals: Map<string, unknown>
        _bindings: { _gap: { _discoveries: Record<string, unknown> }, _addresses: Record<string, unknown> }
      }
      const address = c.b.peripheral.address.toLowerCase()
      const id = address.replaceAll(':', '')
      const remembered = (): boolean[] => [address in noble._bindings._gap._discoveries, id in noble._bindings._addresses, noble._peripherals.has(id)]
      const until = async (done: () => boolean, what: string, timeoutMs: number): Promise<void> => {
        const end = Date.now() + timeoutMs
        while (!done()) {
          if (Date.now() > end) throw new Error(`timed out waiting until ${what}: ${JSON.stringify(remembered())}`)
          await new Promise(resolve => setTimeout(resolve, 200))
        }
      }
      const b = await emulator.startNode({ name: 'b', peripheral: c.b.peripheral })
      nodes.push(b)
      await until(() => remembered().every(Boolean), 'noble hears b', 30_000)
      await stopAll()
      // Kept while the central role still remembers b (SEEN_TTL_MS), then gone within two sweeps.
      const stoppedAt = Date.now()
      await until(() => remembered().every(known => !known), 'noble forgets b', SEEN_TTL_MS + 30_000)
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(SEEN_TTL_MS - 5_000)
    } finally {
      await transport.stop()
      adapters.close()
    }
  }, 120_000)
})
