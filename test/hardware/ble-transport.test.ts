import pino from 'pino'
import { describe, expect, test } from 'vitest'
import { BleTransport, COLLAPSE_GRACE_MS, type BleTransportOptions } from '../../hardware/ble-transport.js'
import { SCAN_RESTART_MS } from '../../hardware/central-role.js'
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
    s.noble.advertise(new FakePeripheral('p1', '00:aa:00:00:00:10'))
    await settle()
    s.clock.advance(SCAN_RESTART_MS); await settle()
    expect(s.noble.connectCalls.map(c => c[0])).toEqual(['p1'])
    expect(s.bleno.advertiseCalls).toBe(1)
  })

  test('BleTransport — several links on one controller in both roles, counted together against the cap', async () => {
    const s = setup({ policy: { maxLinks: 3 } })
    await started(s)
    s.noble.advertise(new FakePeripheral('p1', '00:aa:00:00:00:10'))
    await settle()
    s.bleno.connectCentral('00:aa:00:00:00:20', 1); s.bleno.subscribeCentral(1)
    s.bleno.connectCentral('00:aa:00:00:00:21', 2); s.bleno.subscribeCentral(2)
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
    const p = new FakePeripheral('p1', '00:aa:00:00:00:10')
    s.noble.advertise(p)
    await settle()
    // Two adapters on the peer: its central comes from another address than it advertises on.
    s.bleno.connectCentral('00:aa:00:00:00:99', 5); s.bleno.subscribeCentral(5)
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

  test('BleTransport — the end that keeps its central link lets the peer close the redundant link first', async () => {
    const s = setup({ localPeerId: LOW })
    await started(s)
    const p = new FakePeripheral('p1', '00:aa:00:00:00:10')
    s.noble.advertise(p)
    await settle()
    s.bleno.connectCentral('00:aa:00:00:00:99', 5); s.bleno.subscribeCentral(5)
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
    s.bleno.connectCentral('00:aa:00:00:00:01', 1); s.bleno.subscribeCentral(1)
    s.bleno.connectCentral('00:aa:00:00:00:02', 2); s.bleno.subscribeCentral(2)
    s.bleno.connectCentral('00:aa:00:00:00:03', 3); s.bleno.subscribeCentral(3)
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
    s.bleno.connectCentral('00:aa:00:00:00:20', 1); s.bleno.subscribeCentral(1)
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

  test('BleTransport — stop closes every link in both roles', async () => {
    const s = setup()
    await started(s)
    s.noble.advertise(new FakePeripheral('p1', '00:aa:00:00:00:10'))
    await settle()
    s.bleno.connectCentral('00:aa:00:00:00:20', 1); s.bleno.subscribeCentral(1)
    await s.transport.stop()
    expect(s.links.map(l => l.closed)).toEqual([true, true])
    expect(s.transport.linkStats()).toEqual([])
  })
})
