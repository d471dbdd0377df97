import pino from 'pino'
import { describe, expect, test } from 'vitest'
import type { BleLink } from '../../hardware/ble-link.js'
import { MESH_CHARACTERISTIC, MESH_SERVICE } from '../../hardware/gatt-profile.js'
import type { ConnectionHandle } from '../../hardware/library-types.js'
import { STOP_DISCONNECT_WAIT_MS } from '../../hardware/ble-link.js'
import { ADVERTISING_REARM_MS, ADVERTISING_SETTLE_MS, BLENO_CALL_TIMEOUT_MS, PeripheralRole, SUBSCRIBE_WAIT_MS } from '../../hardware/peripheral-role.js'
import { LINK_INBOUND_HOLD_FRAMES } from '../../hardware/ble-link.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { FakeBleno, settle } from './fake-libraries.js'

const logger = pino({ level: 'silent' })

function setup (admit: (address: string) => boolean = () => true): {
  bleno: FakeBleno, role: PeripheralRole, clock: ManualClock, links: BleLink[], ended: string[], disconnected: ConnectionHandle[]
} {
  const bleno = new FakeBleno()
  const clock = new ManualClock()
  const links: BleLink[] = []
  const ended: string[] = []
  const disconnected: ConnectionHandle[] = []
  let seq = 0
  const role = new PeripheralRole(bleno, clock, logger, {
    admit: address => admit(address) ? { ok: true } : { ok: false, reason: 'address denied' },
    linkUp: link => { links.push(link) },
    linkEnded: (link, reason) => { ended.push(`${link.id}: ${reason}`) },
    nextLinkId: (_role, address) => `p${++seq}-${address}`,
    connectionMtu: handle => bleno.mtus.get(handle),
    disconnectHandle: handle => { disconnected.push(handle); bleno.disconnectCentral('?', handle) },
  })
  return { bleno, role, clock, links, ended, disconnected }
}

describe('PeripheralRole', () => {
  test('PeripheralRole — hosts one service with the one characteristic and advertises only its UUID, no name', async () => {
    const { bleno, role } = setup()
    await role.start()
    expect(bleno.characteristic?.uuid).toBe(MESH_CHARACTERISTIC)
    expect([...bleno.characteristic!.properties].sort()).toEqual(['notify', 'read', 'write', 'writeWithoutResponse'])
    expect(bleno.advertiseArgs).toEqual([['', [MESH_SERVICE]]])
    const reads: Array<[number, Buffer | undefined]> = []
    bleno.characteristic!.onReadRequest(1, 0, (result, data) => { reads.push([result, data]) })
    expect(reads).toEqual([[0, Buffer.alloc(0)]])
  })

  test('PeripheralRole — several centrals on one controller each become a link with their own MTU; frames in by write, out by notify', async () => {
    const { bleno, role, links } = setup()
    await role.start()
    bleno.connectCentral('00:aa:00:00:00:10', 64, 256)
    bleno.connectCentral('00:aa:00:00:00:11', 65, 100)
    bleno.connectCentral('00:aa:00:00:00:12', 66, 23)
    bleno.writeFromCentral(64, new Uint8Array([1, 2, 3])) // before subscribe: held
    for (const h of [64, 65, 66]) bleno.subscribeCentral(h)
    expect(links.map(l => [l.info.role, l.info.address, l.mtu])).toEqual([
      ['peripheral', '00:aa:00:00:00:10', 253], ['peripheral', '00:aa:00:00:00:11', 97], ['peripheral', '00:aa:00:00:00:12', 20],
    ])
    const got: number[][] = []
    links[0]!.attach({ onFrame: f => { got.push([...f]) }, onDrain: () => {}, onClose: () => {} })
    bleno.writeFromCentral(64, new Uint8Array([4]))
    expect(got).toEqual([[1, 2, 3], [4]])
    // The MTU can grow after subscribe (exchange after the CCCD write); the link follows.
    bleno.mtus.set(66, 200)
    expect(links[2]!.mtu).toBe(197)
    links[1]!.send(new Uint8Array([9, 9]))
    await settle()
    expect(bleno.notified.get(65)).toEqual([Buffer.from([9, 9])])
    expect(bleno.notified.get(64)).toEqual([])
    expect(role.connectionCount).toBe(3)
  })

  test('PeripheralRole — a refused central is disconnected by its own handle (handle 0 must not drop everyone)', async () => {
    const { bleno, role, links, disconnected } = setup(address => address !== '00:aa:00:00:00:66')
    await role.start()
    bleno.connectCentral('00:aa:00:00:00:66', 0)
    expect(disconnected).toEqual([0])
    expect(bleno.disconnected).toEqual([])
    expect(links).toEqual([])
    expect(role.connectionCount).toBe(0)
  })

  test('PeripheralRole — disconnect, unsubscribe and a vanished connection all end the link', async () => {
    const { bleno, role, links, ended } = setup()
    await role.start()
    for (const h of [1, 2, 3]) { bleno.linkCentral(`00:aa:00:00:00:0${h}`, h) }
    bleno.disconnectCentral('00:aa:00:00:00:01', 1)
    bleno.characteristic!.onUnsubscribe(2)
    // The central vanished without bleno telling us yet: notify throws inside bleno.
    bleno.mtus.delete(3)
    links[2]!.send(new Uint8Array([1]))
    await settle()
    expect(links.map(l => l.closed)).toEqual([true, true, true])
    expect(ended).toEqual([
      'p1-00:aa:00:00:00:01: disconnected by central',
      'p2-00:aa:00:00:00:02: central unsubscribed',
      expect.stringMatching(/^p3-00:aa:00:00:00:03: write failed: Cannot destructure/),
    ])
    expect(role.connectionCount).toBe(0)
  })

  test('PeripheralRole — a central that never subscribes is disconnected after SUBSCRIBE_WAIT_MS', async () => {
    const { bleno, role, clock, disconnected } = setup()
    await role.start()
    bleno.connectCentral('00:aa:00:00:00:01', 7)
    clock.advance(SUBSCRIBE_WAIT_MS - 1)
    expect(disconnected).toEqual([])
    clock.advance(1)
    expect(disconnected).toEqual([7])
  })

  test('PeripheralRole — advertising is re-armed periodically, after accept/disconnect, and retried when it hangs', async () => {
    const { bleno, role, clock } = setup()
    await role.start()
    expect(bleno.advertiseCalls).toBe(1)
    clock.advance(ADVERTISING_REARM_MS); await settle()
    expect(bleno.advertiseCalls).toBe(2)
    // A reset on a shared adapter stopped it silently, and the controller now ignores the next start.
    bleno.advertising = false
    bleno.advertiseMode = 'hang'
    bleno.connectCentral('00:aa:00:00:00:01', 1)
    clock.advance(250); await settle()
    expect(bleno.advertiseCalls).toBe(3)
    clock.advance(BLENO_CALL_TIMEOUT_MS); await settle()
    bleno.advertiseMode = 'ok'
    clock.advance(1_000); await settle()
    expect(bleno.advertiseCalls).toBe(4)
    expect(bleno.advertising).toBe(true)
    await role.stop()
    const calls = bleno.advertiseCalls
    clock.advance(10 * ADVERTISING_REARM_MS); await settle()
    expect(bleno.advertiseCalls).toBe(calls)
    expect(bleno.advertising).toBe(false)
  })

  test('PeripheralRole — stop waits for the controller to confirm each disconnect, and gives up after a bound', async () => {
    for (const confirms of [true, false]) {
      const { bleno, role, clock, disconnected } = setup()
      await role.start()
      bleno.connectCentral('00:aa:00:00:00:20', 70)
      bleno.subscribeCentral(70)
      // The confirmation (HCI Disconnection Complete) arrives a little later, or never.
      bleno.disconnectCentral = (address, handle) => {
        if (confirms) clock.setTimer(30, () => { bleno.emit('disconnect', address, handle) })
      }
      let stopped = false
      const stopping = role.stop().then(() => { stopped = true })
      await settle()
      expect(disconnected).toEqual([70])
      clock.advance(29); await settle()
      expect(stopped).toBe(false)
      clock.advance(confirms ? 1 : STOP_DISCONNECT_WAIT_MS); await settle()
      expect(stopped).toBe(true)
      await stopping
    }
  })

  test('PeripheralRole — start twice listens once; stop leaves no timer behind', async () => {
    const { bleno, role, clock } = setup()
    await role.start()
    await role.start()
    expect(bleno.listenerCount('accept')).toBe(1)
    expect(bleno.advertiseCalls).toBe(1)
    // One central subscribed, one still inside its subscribe deadline.
    bleno.linkCentral('00:aa:00:00:00:01', 1)
    bleno.connectCentral('00:aa:00:00:00:02', 2)
    clock.advance(ADVERTISING_SETTLE_MS); await settle()
    await role.stop()
    expect(clock.pending()).toBe(0)
    expect(bleno.listenerCount('accept')).toBe(0)
  })

  test('PeripheralRole — the periodic re-arm keeps coming, stopping advertising before each start', async () => {
    const { bleno, role, clock } = setup()
    await role.start()
    for (let n = 1; n <= 3; n++) { clock.advance(ADVERTISING_REARM_MS); await settle() }
    expect([bleno.advertiseCalls, bleno.stopAdvertiseCalls]).toEqual([4, 3])
    expect(clock.pending()).toBe(1)
  })

  test('PeripheralRole — two re-arms at once share one stop and start; one that stop overtakes does not start', async () => {
    const { bleno, role } = setup()
    await role.start()
    await Promise.all([role.rearmAdvertising(), role.rearmAdvertising()])
    expect([bleno.advertiseCalls, bleno.stopAdvertiseCalls]).toEqual([2, 1])
    const rearm = role.rearmAdvertising()
    const stop = role.stop()
    await Promise.all([rearm, stop])
    expect(bleno.advertiseCalls).toBe(2)
    expect(bleno.advertising).toBe(false)
  })

  test('PeripheralRole — advertising that fails to start is retried after 4 × the settle time; a reported start error after the settle time', async () => {
    const { bleno, role, clock } = setup()
    bleno.advertiseMode = 'fail'
    await role.start()
    bleno.advertiseMode = 'ok'
    clock.advance(4 * ADVERTISING_SETTLE_MS - 1); await settle()
    expect(bleno.advertiseCalls).toBe(1)
    clock.advance(1); await settle()
    expect(bleno.advertiseCalls).toBe(2)
    bleno.emit('advertisingStartError', new Error('Command Disallowed'))
    clock.advance(ADVERTISING_SETTLE_MS); await settle()
    expect(bleno.advertiseCalls).toBe(3)
  })

  test('PeripheralRole — the subscribe deadline spares a subscribed central and a new connection on a reused handle', async () => {
    const { bleno, role, clock, links, disconnected } = setup()
    await role.start()
    bleno.linkCentral('00:aa:00:00:00:01', 1)
    bleno.connectCentral('00:aa:00:00:00:02', 2)
    clock.advance(SUBSCRIBE_WAIT_MS / 2)
    bleno.disconnectCentral('00:aa:00:00:00:02', 2)
    bleno.connectCentral('00:aa:00:00:00:03', 2)
    clock.advance(SUBSCRIBE_WAIT_MS / 2)
    expect(disconnected).toEqual([])
    expect(links.map(l => l.closed)).toEqual([false])
    clock.advance(SUBSCRIBE_WAIT_MS / 2)
    expect(disconnected).toEqual([2])
    expect(role.connectionCount).toBe(1)
  })

  test('PeripheralRole — a handle reused without a disconnect report: the old deadline does not hang up the new central', async () => {
    const { bleno, role, clock, disconnected } = setup()
    await role.start()
    bleno.connectCentral('00:aa:00:00:00:02', 2)
    clock.advance(SUBSCRIBE_WAIT_MS / 2)
    bleno.connectCentral('00:aa:00:00:00:03', 2)
    clock.advance(SUBSCRIBE_WAIT_MS / 2)
    expect(disconnected).toEqual([])
    clock.advance(SUBSCRIBE_WAIT_MS / 2)
    expect(disconnected).toEqual([2])
  })

  test('PeripheralRole — events for unknown or unlinked handles change nothing', async () => {
    const { bleno, role, links } = setup()
    await role.start()
    bleno.connectCentral('00:aa:00:00:00:01', 1)
    // Unsubscribe, write and subscribe from handles we do not know, and an unsubscribe before any subscribe.
    bleno.characteristic!.onUnsubscribe(1)
    bleno.characteristic!.onUnsubscribe(9)
    bleno.writeFromCentral(9, new Uint8Array([1]))
    bleno.characteristic!.onSubscribe(9, 20, () => {})
    expect(links).toEqual([])
    bleno.subscribeCentral(1)
    bleno.subscribeCentral(1)
    expect(links).toHaveLength(1)
    // A central that leaves before subscribing ends nothing.
    bleno.connectCentral('00:aa:00:00:00:02', 2)
    bleno.disconnectCentral('00:aa:00:00:00:02', 2)
    expect(role.connectionCount).toBe(1)
  })

  test('PeripheralRole — writes before subscribe are held up to the hold size', async () => {
    const { bleno, role, links } = setup()
    await role.start()
    bleno.connectCentral('00:aa:00:00:00:01', 1)
    for (let n = 0; n <= LINK_INBOUND_HOLD_FRAMES; n++) bleno.writeFromCentral(1, new Uint8Array([n]))
    bleno.subscribeCentral(1)
    const got: number[] = []
    links[0]!.attach({ onFrame: f => { got.push(f[0]!) }, onDrain: () => {}, onClose: () => {} })
    expect(got).toEqual(Array.from({ length: LINK_INBOUND_HOLD_FRAMES }, (_, n) => n))
  })

  test('PeripheralRole — without a per-connection MTU the subscribe-time size stands; closing a link hangs up its handle', async () => {
    const { bleno, role, links, disconnected, ended } = setup()
    await role.start()
    bleno.connectCentral('00:aa:00:00:00:01', 4, 100)
    bleno.subscribeCentral(4)
    bleno.mtus.delete(4)
    expect(links[0]!.mtu).toBe(97)
    // The controller's confirmation may come late or never: the slot is freed at once all the same.
    bleno.disconnectCentral = () => {}
    links[0]!.close('node gave up')
    expect(disconnected).toEqual([4])
    expect(ended).toEqual(['p1-00:aa:00:00:00:01: node gave up'])
    expect(role.connectionCount).toBe(0)
  })

  test('PeripheralRole — a re-arm asked for after an accept replaces the pending periodic one', async () => {
    const { bleno, role, clock } = setup()
    await role.start()
    bleno.connectCentral('00:aa:00:00:00:01', 1)
    clock.advance(ADVERTISING_SETTLE_MS); await settle()
    expect(bleno.advertiseCalls).toBe(2)
    clock.advance(ADVERTISING_REARM_MS - ADVERTISING_SETTLE_MS); await settle()
    expect(bleno.advertiseCalls).toBe(2)
    clock.advance(ADVERTISING_SETTLE_MS); await settle()
    expect(bleno.advertiseCalls).toBe(3)
  })

  test('PeripheralRole — start fails cleanly when bleno never answers setServices', async () => {
    const { bleno, role, clock } = setup()
    bleno.setServicesAsync = async () => await new Promise(() => {})
    const started = role.start().then(() => 'started', (e: Error) => e.message)
    await settle()
    clock.advance(BLENO_CALL_TIMEOUT_MS)
    expect(await started).toBe('bleno setServices did not settle within 5000 ms')
  })
})
