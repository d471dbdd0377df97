import pino from 'pino'
import { describe, expect, test } from 'vitest'
import type { BleLink } from '../../hardware/ble-link.js'
import { CentralRole, CONNECT_TIMEOUT_MS, GATT_TIMEOUT_MS, type CentralHooks } from '../../hardware/central-role.js'
import { ATT_MAX_MTU } from '../../hardware/gatt-profile.js'
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
  }, { connectTimeoutMs: CONNECT_TIMEOUT_MS, scanRestartMs: SCAN_RESTART, mtuIsPayload })
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
