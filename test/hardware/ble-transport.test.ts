import pino from 'pino'
import { describe, expect, test } from 'vitest'
import { BleTransport, COLLAPSE_GRACE_MS, type BleTransportOptions } from '../../hardware/ble-transport.js'
import { SCAN_RESTART_MS } from '../../hardware/central-role.js'
import { BLOCK_AFTER_FAILURES } from '../../hardware/link-policy.js'
import { MessageType } from '../../src/wire/packet-types.js'
import type { Link } from '../../src/mesh/link.js'
import { SeededRandom } from '../../src/prng.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { announceFrame } from './announce-frame.js'
import { FakeBleno, FakeNoble, FakePeripheral, settle } from './fake-libraries.js'

const logger = pino({ level: 'silent' })
const seed = Number(process.env.BLEMESH_SEED ?? 11)
const LOW = '0000000000000001'
const HIGH = 'ffffffffffffff02'

function setup (options: Partial<BleTransportOptions> = {}, roles: { central?: boolean, peripheral?: boolean } = {}): {
  transport: BleTransport, noble: FakeNoble, bleno: FakeBleno, clock: ManualClock, links: Link[], closes: string[]
} {
  const noble = new FakeNoble()
  const bleno = new FakeBleno()
  const clock = new ManualClock()
  const transport = new BleTransport({
    central: roles.central === false ? null : { noble, mtuIsPayload: false, where: 'fake' },
    peripheral: roles.peripheral === false
      ? null
      : { bleno, where: 'fake', connectionMtu: h => bleno.mtus.get(h), disconnectHandle: h => { bleno.disconnectCentral('?', h) } },
    shared: false,
    clock,
    random: new SeededRandom(seed),
    logger,
    ...options,
  })
  return { transport, noble, bleno, clock, links: [], closes: [] }
}

async function started (s: ReturnType<typeof setup>): Promise<void> {
  await s.transport.start({
    onLink: link => {
      s.links.push(link)
      link.attach({ onFrame: () => {}, onDrain: () => {}, onClose: reason => { s.closes.push(`${link.id}: ${reason}`) } })
    },
  })
}

/** Our central dials p1, advertising at 00:aa:00:00:00:10; its link is up when this returns. */
async function dialP1 (s: ReturnType<typeof setup>): Promise<FakePeripheral> {
  const p = new FakePeripheral('p1', '00:aa:00:00:00:10')
  s.noble.advertise(p)
  await settle()
  return p
}

/** The node identifies every link as leading to `peer`. */
function identifyEach (s: ReturnType<typeof setup>, peer: string): void {
  for (const link of s.links) s.transport.identify(link.id, peer)
}

describe('BleTransport', () => {
  test('BleTransport — one adapter in both roles: advertising is re-armed after every central connect attempt', async () => {
    const s = setup({ shared: true })
    await started(s)
    expect(s.bleno.advertiseCalls).toBe(1)
    // noble's pre-connect HCI_Reset silently stops bleno's advertising on a shared controller.
    s.noble.connectCalls.length = 0
    s.noble.advertise(new FakePeripheral('p1', '00:aa:00:00:00:10'))
    s.bleno.advertising = false
    await settle()
    expect(s.links).toHaveLength(1)
    expect(s.bleno.advertiseCalls).toBe(2)
    expect(s.bleno.advertising).toBe(true)
  })

  test('BleTransport — two adapters: no re-arm after connects, and our central never dials our own peripheral', async () => {
    const s = setup({ shared: false })
    await started(s)
    s.noble.advertise(new FakePeripheral('self', s.bleno.address))
    await dialP1(s)
    s.clock.advance(SCAN_RESTART_MS); await settle()
    expect(s.noble.connectCalls.map(c => c[0])).toEqual(['p1'])
    expect(s.bleno.advertiseCalls).toBe(1)
  })

  test('BleTransport — several links on one controller in both roles, counted together against the cap', async () => {
    const s = setup({ policy: { maxLinks: 3 } })
    await started(s)
    await dialP1(s)
    s.bleno.linkCentral('00:aa:00:00:00:20', 1)
    s.bleno.linkCentral('00:aa:00:00:00:21', 2)
    // Cap reached: a fourth central is refused and a new advertiser is not dialled.
    s.bleno.connectCentral('00:aa:00:00:00:22', 3)
    s.noble.advertise(new FakePeripheral('p2', '00:aa:00:00:00:11'))
    await settle()
    s.clock.advance(SCAN_RESTART_MS); await settle()
    expect(s.links.map(l => l.info.role)).toEqual(['central', 'peripheral', 'peripheral'])
    expect(s.transport.linkStats().map(l => l.address)).toEqual(['00:aa:00:00:00:10', '00:aa:00:00:00:20', '00:aa:00:00:00:21'])
    expect(s.noble.connectCalls.map(c => c[0])).toEqual(['p1'])
  })

  test.each([
    { local: LOW, remote: HIGH, survivor: 'central' },
    { local: HIGH, remote: LOW, survivor: 'peripheral' },
  ])('BleTransport — a double link to one peer collapses to the link where the lower peer ID is central ($survivor survives)', async ({ local, remote, survivor }) => {
    const s = setup({ localPeerId: local })
    await started(s)
    const p = await dialP1(s)
    // Two adapters on the peer: its central comes from another address than it advertises on.
    s.bleno.linkCentral('00:aa:00:00:00:99', 5)
    expect(s.links).toHaveLength(2)
    // Each side learns the peer from its first direct announce.
    p.characteristic.notify(announceFrame(remote))
    s.bleno.writeFromCentral(5, announceFrame(remote))
    // A redundant peripheral link is left to the peer to close for a grace period (it learns our address there).
    s.clock.advance(COLLAPSE_GRACE_MS)
    const open = s.links.filter(l => !l.closed)
    expect(open.map(l => l.info.role)).toEqual([survivor])
    expect(s.closes).toEqual([expect.stringMatching(/: redundant link$/)])
    // The collapsed address is not dialled again while the peer is linked.
    s.clock.advance(2 * SCAN_RESTART_MS); await settle()
    expect(s.links.filter(l => !l.closed)).toHaveLength(1)
  })

  test.each([
    { maxAddressRecords: undefined, redialled: false },
    { maxAddressRecords: 1, redialled: true },
  ])('BleTransport — the peer an address led to is remembered past its link, for at most maxAddressRecords addresses (bound $maxAddressRecords)', async ({ maxAddressRecords, redialled }) => {
    const s = setup({ localPeerId: HIGH, scanRestartMs: 1_000, policy: maxAddressRecords === undefined ? {} : { maxAddressRecords } })
    await started(s)
    await dialP1(s)
    s.bleno.linkCentral('00:aa:00:00:00:99', 5)
    identifyEach(s, LOW) // the central twin goes at once: the peer keeps its central link to us
    expect(s.links.filter(l => !l.closed).map(l => l.info.role)).toEqual(['peripheral'])
    // Another advertiser, another peer: with room for one address, p1's is forgotten.
    s.noble.advertise(new FakePeripheral('p2', '00:aa:00:00:00:11'))
    await settle()
    s.transport.identify(s.links[2]!.id, '0000000000000003')
    for (let i = 0; i < 3; i++) { s.clock.advance(1_000); await settle() }
    expect(s.noble.connectCalls.map(c => c[0])).toEqual(redialled ? ['p1', 'p2', 'p1'] : ['p1', 'p2'])
  })

  test('BleTransport — the end that keeps its central link lets the peer close the redundant link first', async () => {
    const s = setup({ localPeerId: LOW })
    await started(s)
    const p = await dialP1(s)
    s.bleno.linkCentral('00:aa:00:00:00:99', 5)
    s.bleno.writeFromCentral(5, announceFrame(HIGH))
    p.characteristic.notify(announceFrame(HIGH))
    s.clock.advance(COLLAPSE_GRACE_MS - 1)
    expect(s.links.filter(l => !l.closed)).toHaveLength(2)
    // The peer closes it from its central side: we see the central go away, and nothing is closed twice.
    s.bleno.disconnectCentral('00:aa:00:00:00:99', 5)
    s.clock.advance(1)
    expect(s.links.filter(l => !l.closed).map(l => l.info.role)).toEqual(['central'])
    expect(s.closes).toEqual([expect.stringMatching(/: disconnected by central$/)])
  })

  test('BleTransport — identify from the node applies the peer deny list and drops links to ourselves', async () => {
    const s = setup({ localPeerId: LOW, policy: { denyPeers: ['dddddddddddddddd'] }, peekAnnounces: false })
    await started(s)
    s.bleno.linkCentral('00:aa:00:00:00:01', 1)
    s.bleno.linkCentral('00:aa:00:00:00:02', 2)
    s.bleno.linkCentral('00:aa:00:00:00:03', 3)
    // Peeking is off: an announce alone changes nothing.
    s.bleno.writeFromCentral(1, announceFrame('dddddddddddddddd'))
    expect(s.links.every(l => !l.closed)).toBe(true)
    s.transport.identify(s.links[0]!.id, 'DDDDDDDDDDDDDDDD')
    s.transport.identify(s.links[1]!.id, LOW)
    s.transport.identify(s.links[2]!.id, HIGH)
    expect(s.closes).toEqual([`${s.links[0]!.id}: peer denied`, `${s.links[1]!.id}: link to self`])
    expect(s.transport.linkStats().map(l => l.peerId)).toEqual([HIGH])
    // The denied peer's address is refused when it comes back.
    s.bleno.connectCentral('00:aa:00:00:00:01', 4)
    expect(s.transport.linkStats()).toHaveLength(1)
  })

  test('BleTransport — address allow list builds an exact topology in both roles', async () => {
    const s = setup({ policy: { allowAddresses: ['00:aa:00:00:00:10', '00:aa:00:00:00:20'] } })
    await started(s)
    s.noble.advertise(new FakePeripheral('ok', '00:aa:00:00:00:10'))
    s.noble.advertise(new FakePeripheral('no', '00:aa:00:00:00:11'))
    await settle()
    s.bleno.linkCentral('00:aa:00:00:00:20', 1)
    s.bleno.connectCentral('00:aa:00:00:00:21', 2)
    s.clock.advance(SCAN_RESTART_MS); await settle()
    expect(s.transport.linkStats().map(l => `${l.role} ${l.address}`)).toEqual(['central 00:aa:00:00:00:10', 'peripheral 00:aa:00:00:00:20'])
  })

  test('BleTransport — a peer that keeps failing is backed off, then blocked', async () => {
    const s = setup({ policy: { backoffBaseMs: 1_000, blockAfterFailures: 3, blockMs: 600_000 }, connectTimeoutMs: 500, scanRestartMs: 1_000 })
    await started(s)
    s.noble.connectMode.set('bad', 'fail')
    s.noble.advertise(new FakePeripheral('bad', '00:aa:00:00:00:66'))
    for (let i = 0; i < 30; i++) { s.clock.advance(1_000); await settle() }
    // 1 s, 2 s, then blocked for ten minutes: three attempts in the first half minute.
    expect(s.noble.connectCalls).toHaveLength(3)
    expect(s.transport.policy.state('00:aa:00:00:00:66').blockedMs).toBeGreaterThan(500_000)
  })

  test.each([
    { roles: { central: false }, role: 'peripheral', addresses: { central: undefined, peripheral: '00:aa:00:00:00:01' } },
    { roles: { peripheral: false }, role: 'central', addresses: { central: '00:aa:00:00:00:02', peripheral: undefined } },
  ])('BleTransport — one role alone ($role) links, reports its address and stops', async ({ roles, role, addresses }) => {
    const s = setup({}, roles)
    await started(s)
    s.noble.advertise(new FakePeripheral('p1', '00:aa:00:00:00:10'))
    if (role === 'peripheral') { s.bleno.linkCentral('00:aa:00:00:00:20', 1) }
    await settle()
    expect(s.links.map(l => l.info.role)).toEqual([role])
    expect(s.transport.addresses()).toEqual(addresses)
    await s.transport.stop()
    expect(s.links[0]!.closed).toBe(true)
  })

  test('BleTransport — link IDs carry the role, a sequence number and the address', async () => {
    const s = setup()
    await started(s)
    s.noble.advertise(new FakePeripheral('p1', '00:AA:00:00:00:10'))
    await settle()
    s.bleno.linkCentral('00:aa:00:00:00:20', 1)
    expect(s.links.map(l => l.id)).toEqual(['c1-00:aa:00:00:00:10', 'p2-00:aa:00:00:00:20'])
  })

  test('BleTransport — a second start keeps the first handlers', async () => {
    const s = setup()
    await started(s)
    const late: Link[] = []
    await s.transport.start({ onLink: link => { late.push(link) } })
    s.bleno.linkCentral('00:aa:00:00:00:20', 1)
    expect(s.links).toHaveLength(1)
    expect(late).toEqual([])
  })

  test('BleTransport — connect timeout, scan restart, advertising re-arm and pacing options reach the roles', async () => {
    const s = setup({ connectTimeoutMs: 300, scanRestartMs: 700, advertisingRearmMs: 900, pacing: { queueFrames: 1, burstFrames: 1, framesPerSecond: 1, writeTimeoutMs: 1_000, inboundHoldFrames: 1 } })
    await started(s)
    s.noble.connectMode.set('absent', 'hang')
    s.noble.advertise(new FakePeripheral('absent', '00:aa:00:00:00:30'))
    await settle()
    s.clock.advance(299); await settle()
    expect(s.noble.cancelled).toEqual([])
    s.clock.advance(1); await settle()
    expect(s.noble.cancelled).toEqual(['absent'])
    const scans = s.noble.scanStarts
    const adverts = s.bleno.advertiseCalls
    s.clock.advance(399); await settle()
    expect(s.noble.scanStarts).toBe(scans)
    s.clock.advance(1); await settle()
    expect(s.noble.scanStarts).toBe(scans + 1)
    s.clock.advance(199); await settle()
    expect(s.bleno.advertiseCalls).toBe(adverts)
    s.clock.advance(1); await settle()
    expect(s.bleno.advertiseCalls).toBe(adverts + 1)
    s.bleno.linkCentral('00:aa:00:00:00:20', 1)
    s.noble.advertise(new FakePeripheral('p2', '00:aa:00:00:00:31'))
    await settle()
    // One frame in flight, one queued, the third refused: both roles got the queue of one.
    expect(s.links.map(l => l.info.role)).toEqual(['peripheral', 'central'])
    for (const link of s.links) {
      expect([link.send(new Uint8Array(4)), link.send(new Uint8Array(4)), link.send(new Uint8Array(4))], link.id).toEqual([true, true, false])
    }
  })

  test('BleTransport — our peer ID is compared in lower case, whether given at construction or later', async () => {
    for (const late of [false, true]) {
      const s = setup(late ? {} : { localPeerId: 'ABCDEF0123456789' }, { central: false })
      if (late) s.transport.setLocalPeerId('ABCDEF0123456789')
      await started(s)
      s.bleno.linkCentral('00:aa:00:00:00:20', 1)
      s.transport.identify(s.links[0]!.id, 'abcdef0123456789')
      expect(s.closes, `late: ${late}`).toEqual(['p1-00:aa:00:00:00:20: link to self'])
    }
  })

  test.each(['central', 'peripheral'])('BleTransport — without our peer ID the older link to a peer survives at once (%s first)', async (first) => {
    const s = setup()
    await started(s)
    const peripheral = (): void => { s.bleno.linkCentral('00:aa:00:00:00:99', 5) }
    if (first === 'central') { await dialP1(s); s.clock.advance(10); peripheral() } else { peripheral(); s.clock.advance(10); await dialP1(s) }
    identifyEach(s, HIGH)
    expect(s.links.filter(l => !l.closed).map(l => l.info.role)).toEqual([first])
    expect(s.closes).toEqual([`${s.links[1]!.id}: redundant link`])
  })

  test('BleTransport — a redundant link left to the peer stays when the kept link dies during the grace', async () => {
    const s = setup({ localPeerId: LOW })
    await started(s)
    const p = await dialP1(s)
    s.bleno.linkCentral('00:aa:00:00:00:99', 5)
    identifyEach(s, HIGH)
    p.drop()
    s.clock.advance(COLLAPSE_GRACE_MS)
    expect(s.links.filter(l => !l.closed).map(l => l.info.role)).toEqual(['peripheral'])
  })

  test('BleTransport — a link in one role counts against the cap in the other', async () => {
    const s = setup({ policy: { maxLinks: 1 } })
    await started(s)
    await dialP1(s)
    s.bleno.linkCentral('00:aa:00:00:00:20', 1)
    expect(s.links.map(l => l.info.role)).toEqual(['central'])
  })

  test('BleTransport — every advertiser not linked yet is dialled, and one whose link ended is dialled again', async () => {
    const s = setup({ scanRestartMs: 1_000 })
    await started(s)
    const p1 = new FakePeripheral('p1', '00:aa:00:00:00:10')
    s.noble.advertise(p1)
    s.noble.advertise(new FakePeripheral('p2', '00:aa:00:00:00:11'))
    for (let i = 0; i < 3; i++) { s.clock.advance(1_000); await settle() }
    expect(s.noble.connectCalls.map(c => c[0])).toEqual(['p1', 'p2'])
    // Long after it opened (not a flap, so no backoff), the first link drops; the next scan dials it again.
    s.clock.advance(60_000); await settle()
    p1.drop()
    s.clock.advance(1_000); await settle()
    expect(s.noble.connectCalls.map(c => c[0])).toEqual(['p1', 'p2', 'p1'])
    expect(s.links.filter(l => !l.closed)).toHaveLength(2)
  })

  test('BleTransport — a link is identified by its first announce, not by the frames before it', async () => {
    const s = setup({}, { central: false })
    await started(s)
    s.bleno.linkCentral('00:aa:00:00:00:20', 1)
    s.bleno.writeFromCentral(1, announceFrame(HIGH, 7, MessageType.message))
    expect(s.transport.linkStats()[0]!.peerId).toBeUndefined()
    s.bleno.writeFromCentral(1, announceFrame(HIGH))
    expect(s.transport.linkStats()[0]!.peerId).toBe(HIGH)
  })

  test('BleTransport — a collapsed link or a stop is no failure of the peer; a quick drop is', async () => {
    const s = setup({ localPeerId: HIGH })
    await started(s)
    const p = await dialP1(s)
    s.bleno.linkCentral('00:aa:00:00:00:10', 5)
    // We are the higher ID: the peripheral link is kept and our central link is collapsed at once.
    identifyEach(s, LOW)
    expect(s.closes).toEqual([`${s.links[0]!.id}: redundant link`])
    expect(s.transport.policy.state('00:aa:00:00:00:10').failures).toBe(0)
    await s.transport.stop()
    expect(s.transport.policy.state('00:aa:00:00:00:10').failures).toBe(0)
    const t = setup()
    await started(t)
    t.bleno.linkCentral('00:aa:00:00:00:20', 1)
    t.bleno.disconnectCentral('00:aa:00:00:00:20', 1)
    expect(t.transport.policy.state('00:aa:00:00:00:20').failures).toBe(1)
  })

  test('BleTransport — a double link\'s redundant half that the peer closes is no flap, however often: the phone is not blocked', async () => {
    const s = setup({ localPeerId: LOW })
    await started(s)
    await dialP1(s)
    // We are the lower ID: our central link is kept and the phone's link to our peripheral is left for it to
    // close, which iOS does from its central side. A phone that keeps dialling us does so again and again.
    for (let handle = 1; handle <= BLOCK_AFTER_FAILURES + 1; handle++) {
      s.bleno.linkCentral('00:aa:00:00:00:99', handle)
      identifyEach(s, HIGH)
      s.clock.advance(500)
      s.bleno.disconnectCentral('00:aa:00:00:00:99', handle)
    }
    expect(s.transport.policy.state('00:aa:00:00:00:99')).toEqual({ failures: 0, backoffMs: 0, blockedMs: 0 })
    expect(s.transport.policy.admitsIncoming('00:aa:00:00:00:99', 1)).toEqual({ ok: true })
    // Without a twin, the same quick drop is a flap.
    s.bleno.linkCentral('00:aa:00:00:00:98', 9)
    s.transport.identify(s.links[s.links.length - 1]!.id, 'fedcba9876543210')
    s.bleno.disconnectCentral('00:aa:00:00:00:98', 9)
    expect(s.transport.policy.state('00:aa:00:00:00:98').failures).toBe(1)
  })

  test('BleTransport — dropLinks closes every link with the reason given, and the peers may come back', async () => {
    const s = setup()
    await started(s)
    await dialP1(s)
    s.bleno.linkCentral('00:aa:00:00:00:20', 1)
    s.transport.dropLinks('operator asked')
    expect(s.closes).toEqual(['c1-00:aa:00:00:00:10: operator asked', 'p2-00:aa:00:00:00:20: operator asked'])
    expect(s.transport.linkStats()).toEqual([])
    // Both links were seconds old: a drop we asked for is no flap, so neither peer is backed off.
    for (const address of ['00:aa:00:00:00:10', '00:aa:00:00:00:20']) {
      expect(s.transport.policy.state(address)).toEqual({ failures: 0, backoffMs: 0, blockedMs: 0 })
    }
    s.bleno.linkCentral('00:aa:00:00:00:20', 2)
    expect(s.transport.linkStats().map(l => l.id)).toEqual(['p3-00:aa:00:00:00:20'])
  })

  test('BleTransport — stop closes every link in both roles', async () => {
    const s = setup()
    await started(s)
    await dialP1(s)
    s.bleno.linkCentral('00:aa:00:00:00:20', 1)
    await s.transport.stop()
    expect(s.links.map(l => l.closed)).toEqual([true, true])
    expect(s.transport.linkStats()).toEqual([])
  })
})
