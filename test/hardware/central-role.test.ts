import pino from 'pino'
import { describe, expect, test } from 'vitest'
import type { BleLink } from '../../hardware/ble-link.js'
import { CentralRole, CONNECT_TIMEOUT_MS, GATT_TIMEOUT_MS, MTU_WAIT_MS, SEEN_TTL_MS, type CentralHooks } from '../../hardware/central-role.js'
import { ATT_MAX_MTU, MESH_CHARACTERISTIC, MESH_SERVICE } from '../../hardware/gatt-profile.js'
import { NOBLE_SWEEP_MS } from '../../hardware/noble-janitor.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { FakeNoble, FakePeripheral, settle } from './fake-libraries.js'

const logger = pino({ level: 'silent' })
const SCAN_RESTART = 1_000

function setup (overrides: Partial<CentralHooks> = {}, mtuIsPayload = false): {
  noble: FakeNoble, role: CentralRole, clock: ManualClock, links: BleLink[], failures: string[], attempts: () => number
} {
  const noble = new FakeNoble()
  const clock = new ManualClock()
  const links: BleLink[] = []
  const failures: string[] = []
  let attempts = 0
  let seq = 0
  const role = new CentralRole(noble, clock, logger, {
    // Stands in for the link manager's backoff: an address that failed is not retried in these tests.
    admit: address => failures.some(f => f.startsWith(address)) ? { ok: false, reason: 'backing off' } : { ok: true },
    alreadyLinked: address => links.some(l => !l.closed && l.info.address === address),
    connectFailed: (address, reason) => { failures.push(`${address}: ${reason}`) },
    linkUp: link => { links.push(link) },
    linkEnded: () => {},
    attemptEnded: () => { attempts++ },
    nextLinkId: (_r, address) => `c${++seq}-${address}`,
    ...overrides,
  }, { connectTimeoutMs: CONNECT_TIMEOUT_MS, scanRestartMs: SCAN_RESTART, mtuIsPayload, nobleSweepMs: NOBLE_SWEEP_MS })
  return { noble, role, clock, links, failures, attempts: () => attempts }
}

describe('CentralRole', () => {
  test('CentralRole — discovers the service, connects asking for the largest MTU, subscribes, and sends by write without response', async () => {
    const { noble, role, links } = setup()
    await role.start()
    expect(noble.scanning).toBe(true)
    const p = new FakePeripheral('00aa00000010', '00:aa:00:00:00:10')
    noble.advertise(p)
    await settle()
    expect(noble.connectCalls).toEqual([['00aa00000010', { mtu: ATT_MAX_MTU }]])
    expect(links).toHaveLength(1)
    const link = links[0]!
    expect([link.info.role, link.info.address, link.mtu]).toEqual(['central', '00:aa:00:00:00:10', 253])
    const got: number[][] = []
    link.attach({ onFrame: f => { got.push([...f]) }, onDrain: () => {}, onClose: () => {} })
    p.characteristic.notify(new Uint8Array([7, 8]))
    expect(got).toEqual([[7, 8]])
    link.send(new Uint8Array([1]))
    await settle()
    expect(p.characteristic.written).toEqual([Buffer.from([1])])
    // The scan resumes after the attempt (noble leaves it stopped after a connect).
    expect(noble.scanning).toBe(true)
  })

  test('CentralRole — macOS reports the write length itself, so no ATT header is subtracted', async () => {
    const { noble, role, links } = setup({}, true)
    await role.start()
    noble.advertise(new FakePeripheral('p1', '00:aa:00:00:00:10', -50, undefined, 182))
    await settle()
    expect(links[0]!.mtu).toBe(182)
  })

  test('CentralRole — a connect that hangs (absent device) is cancelled after the timeout and reported as a failure', async () => {
    const { noble, role, clock, links, failures, attempts } = setup()
    await role.start()
    noble.connectMode.set('gone', 'hang')
    noble.advertise(new FakePeripheral('gone', '00:aa:00:00:00:20'))
    await settle()
    expect(role.busyCount).toBe(1)
    clock.advance(CONNECT_TIMEOUT_MS - 1); await settle()
    expect(failures).toEqual([])
    clock.advance(1); await settle()
    expect(noble.cancelled).toEqual(['gone'])
    expect(failures).toEqual(['00:aa:00:00:00:20: connect to 00:aa:00:00:00:20 did not settle within 8000 ms'])
    expect(links).toEqual([])
    expect(attempts()).toBe(1)
    expect(role.busyCount).toBe(0)
  })

  test.each([
    { name: 'discovery hangs', prepare: (p: FakePeripheral) => { p.discoverMode = 'hang' }, reason: /discover on .* did not settle/ },
    { name: 'characteristic missing', prepare: (p: FakePeripheral) => { p.discoverMode = 'missing' }, reason: /mesh characteristic missing/ },
    { name: 'subscribe hangs (ATT error)', prepare: (p: FakePeripheral) => { p.characteristic.subscribeMode = 'hang' }, reason: /subscribe on .* did not settle/ },
    { name: 'no notify property', prepare: (p: FakePeripheral) => { p.characteristic.properties = ['write'] }, reason: /lacks notify/ },
    { name: 'notify without write-without-response', prepare: (p: FakePeripheral) => { p.characteristic.properties = ['notify', 'write'] }, reason: /lacks notify\/writeWithoutResponse/ },
    { name: 'a characteristic of another UUID only', prepare: (p: FakePeripheral) => { Object.assign(p.characteristic, { uuid: '2a00' }) }, reason: /mesh characteristic missing/ },
    {
      name: 'the peer drops during setup',
      prepare: (p: FakePeripheral) => { p.characteristic.subscribeAsync = async () => { p.emit('disconnect', 0x3e) } },
      reason: /disconnected during setup \(62\)/,
    },
  ])('CentralRole — setup failure ($name) disconnects and reports', async ({ prepare, reason }) => {
    const { noble, role, clock, links, failures } = setup()
    await role.start()
    const p = new FakePeripheral('p1', '00:aa:00:00:00:30')
    prepare(p)
    noble.advertise(p)
    await settle()
    clock.advance(GATT_TIMEOUT_MS); await settle()
    expect(links).toEqual([])
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatch(reason)
    expect(p.disconnects).toBe(1)
  })

  test('CentralRole — scans for the mesh service with duplicates filtered, and discovers only the mesh characteristic', async () => {
    const { noble, role, links } = setup()
    await role.start()
    const p = new FakePeripheral('p1', '00:aa:00:00:00:10')
    noble.advertise(p)
    await settle()
    expect(noble.scanArgs[0]).toEqual([[MESH_SERVICE], false])
    expect(p.discoverArgs).toEqual([[[MESH_SERVICE], [MESH_CHARACTERISTIC]]])
    links[0]!.send(new Uint8Array([1]))
    await settle()
    expect(p.characteristic.withoutResponse).toEqual([true])
  })

  test.each([
    { uuids: ['180f'], dialled: false },
    { uuids: [], dialled: true },
    { uuids: ['180f', MESH_SERVICE], dialled: true },
  ])('CentralRole — an advertiser listing $uuids is dialled: $dialled', async ({ uuids, dialled }) => {
    const { noble, role } = setup()
    await role.start()
    noble.advertise(new FakePeripheral('p1', '00:aa:00:00:00:10', -60, { serviceUuids: uuids }))
    await settle()
    expect(noble.connectCalls.length).toBe(dialled ? 1 : 0)
  })

  test('CentralRole — an advertiser without an address (macOS) is known by its id', async () => {
    const { noble, role, links } = setup()
    await role.start()
    noble.advertise(new FakePeripheral('5D1A7C0FFEE', ''))
    await settle()
    expect(links[0]!.info.address).toBe('5d1a7c0ffee')
  })

  test.each([
    { name: 'the exchange finishes after discovery', mtu: 185, want: 182, wait: 0 },
    { name: 'the exchange never finishes', mtu: null, want: 20, wait: MTU_WAIT_MS },
  ])('CentralRole — MTU unknown at discovery: $name', async ({ mtu, want, wait }) => {
    const { noble, role, clock, links } = setup()
    await role.start()
    const p = new FakePeripheral('p1', '00:aa:00:00:00:10')
    p.discoverSomeServicesAndCharacteristicsAsync = async () => ({ characteristics: [p.characteristic] })
    noble.advertise(p)
    await settle()
    expect(links).toEqual([])
    if (mtu !== null) p.emit('mtu', mtu)
    clock.advance(wait); await settle()
    expect(links.map(l => l.mtu)).toEqual([want])
  })

  test('CentralRole — the scan is off while connecting and stays off when stop comes first', async () => {
    const { noble, role, clock } = setup()
    await role.start()
    noble.connectMode.set('slow', 'hang')
    noble.advertise(new FakePeripheral('slow', '00:aa:00:00:00:40'))
    await settle()
    expect(noble.scanning).toBe(false)
    // A scan restart while the attempt runs leaves the scan alone.
    const starts = noble.scanStarts
    clock.advance(SCAN_RESTART); await settle()
    expect([noble.scanning, noble.scanStarts]).toEqual([false, starts])
    await role.stop()
    clock.advance(CONNECT_TIMEOUT_MS); await settle()
    expect([noble.scanning, noble.scanStarts]).toEqual([false, starts])
    expect(noble.listenerCount('discover')).toBe(0)
  })

  test('CentralRole — a scan command that fails is asked again on the next cycle', async () => {
    const { noble, role, clock } = setup()
    noble.scanFailures = 1
    await role.start()
    expect(noble.scanning).toBe(false)
    clock.advance(SCAN_RESTART); await settle()
    expect(noble.scanning).toBe(true)
    expect(noble.scanArgs).toHaveLength(2)
  })

  test('CentralRole — start twice listens once; after stop the scan timer is gone', async () => {
    const { noble, role, clock } = setup()
    await role.start()
    await role.start()
    expect(noble.listenerCount('discover')).toBe(1)
    expect(noble.scanStarts).toBe(1)
    await role.stop()
    await role.stop()
    expect(clock.pending()).toBe(0)
    await role.restartScan()
    expect(clock.pending()).toBe(0)
    clock.advance(10 * SCAN_RESTART); await settle()
    expect(noble.scanStarts).toBe(1)
  })

  test('CentralRole — an advertiser out of range is retried from memory for SEEN_TTL_MS after it was last seen, then forgotten', async () => {
    const { noble, role, clock } = setup({ admit: () => ({ ok: true }) })
    await role.start()
    noble.connectMode.set('far', 'fail')
    const p = new FakePeripheral('far', '00:aa:00:00:00:80')
    // Seen once, then out of range: a scan that restarts no longer reports it (without a link manager's
    // backoff, an advertiser that every scan reports would be redialled as soon as each attempt fails).
    noble.advertise(p)
    p.advertising = false
    await settle()
    for (let t = 0; t < SEEN_TTL_MS + 5 * SCAN_RESTART; t += SCAN_RESTART) { clock.advance(SCAN_RESTART); await settle() }
    // The first attempt, then one at each restart up to and including 30 s after it was seen.
    expect(noble.connectCalls).toHaveLength(1 + SEEN_TTL_MS / SCAN_RESTART)
  })

  test('CentralRole — closing a link hangs up the peripheral', async () => {
    const { noble, role, links } = setup()
    await role.start()
    const p = new FakePeripheral('p1', '00:aa:00:00:00:10')
    noble.advertise(p)
    await settle()
    links[0]!.close()
    await settle()
    expect(p.disconnects).toBe(1)
  })

  test('CentralRole — one connect at a time; others wait for the next scan cycle', async () => {
    const { noble, role, clock, links } = setup()
    await role.start()
    noble.connectMode.set('slow', 'hang')
    noble.advertise(new FakePeripheral('slow', '00:aa:00:00:00:40'))
    noble.advertise(new FakePeripheral('next', '00:aa:00:00:00:41'))
    await settle()
    expect(noble.connectCalls.map(c => c[0])).toEqual(['slow'])
    clock.advance(CONNECT_TIMEOUT_MS); await settle()
    // Remembered advertisers are retried when the scan restarts.
    clock.advance(SCAN_RESTART); await settle()
    expect(links.map(l => l.info.address)).toContain('00:aa:00:00:00:41')
  })

  test('CentralRole — adverts refused by the link manager are not connected to', async () => {
    const { noble, role } = setup({ admit: (_a, rssi) => rssi < -90 ? { ok: false, reason: 'rssi' } : { ok: true } })
    await role.start()
    noble.advertise(new FakePeripheral('weak', '00:aa:00:00:00:50', -95))
    await settle()
    expect(noble.connectCalls).toEqual([])
  })

  test('CentralRole — a non-connectable advertiser of the service is ignored', async () => {
    const { noble, role } = setup()
    await role.start()
    const beacon = new FakePeripheral('beacon', '00:aa:00:00:00:55')
    Object.assign(beacon, { connectable: false })
    noble.advertise(beacon)
    await settle()
    expect(noble.connectCalls).toEqual([])
  })

  test('CentralRole — reconnects to a remembered peer after its link is lost', async () => {
    const { noble, role, clock, links } = setup()
    await role.start()
    const p = new FakePeripheral('p1', '00:aa:00:00:00:60')
    noble.advertise(p)
    await settle()
    expect(links).toHaveLength(1)
    p.drop(0x08)
    expect(links[0]!.closed).toBe(true)
    clock.advance(SCAN_RESTART); await settle()
    expect(links).toHaveLength(2)
    expect(links[1]!.closed).toBe(false)
    expect(noble.connectCalls).toHaveLength(2)
  })

  test('CentralRole — stop closes links and stops scanning', async () => {
    const { noble, role, links } = setup()
    await role.start()
    noble.advertise(new FakePeripheral('p1', '00:aa:00:00:00:70'))
    await settle()
    await role.stop()
    expect(links[0]!.closed).toBe(true)
    expect(noble.scanning).toBe(false)
  })
})
