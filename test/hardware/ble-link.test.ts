import pino from 'pino'
import { describe, expect, test } from 'vitest'
import { BleLink, type LinkCarrier, type LinkPacing } from '../../hardware/ble-link.js'
import type { LinkHandlers } from '../../src/mesh/link.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { settle } from './fake-libraries.js'

const logger = pino({ level: 'silent' })
const pacing: LinkPacing = { queueFrames: 4, burstFrames: 2, framesPerSecond: 100, writeTimeoutMs: 1_000, inboundHoldFrames: 2 }

function carrier (mode: 'ok' | 'manual' | 'hang' = 'ok', mtu = 20): LinkCarrier & { written: Uint8Array[], release: () => void, disconnects: number } {
  const pending: Array<() => void> = []
  const c = {
    written: [] as Uint8Array[],
    disconnects: 0,
    release: () => { pending.shift()?.() },
    write: async (frame: Uint8Array) => {
      c.written.push(frame)
      if (mode === 'hang') await new Promise(() => {})
      if (mode === 'manual') await new Promise<void>(resolve => pending.push(resolve))
    },
    mtu: () => mtu,
    disconnect: () => { c.disconnects++ },
  }
  return c
}

function makeLink (c: LinkCarrier, clock = new ManualClock()): { link: BleLink, clock: ManualClock, ended: string[] } {
  const ended: string[] = []
  const link = new BleLink('c1-test', { role: 'central', address: '00:aa:00:00:00:01' }, c, clock, logger, (_l, reason) => { ended.push(reason) }, pacing)
  return { link, clock, ended }
}

const frame = (n: number): Uint8Array => new Uint8Array(10).fill(n)

/** Handlers for tests that only watch the carrier or the counters. */
const IGNORE: LinkHandlers = { onFrame: () => {}, onDrain: () => {}, onClose: () => {} }

describe('BleLink', () => {
  test('BleLink — send says full once the bounded queue holds queueFrames, takes nothing, and drains later', async () => {
    const c = carrier('manual')
    const { link, clock } = makeLink(c)
    let drains = 0
    link.attach({ onFrame: () => {}, onDrain: () => { drains++ }, onClose: () => {} })
    // One frame goes straight to the (stuck) library, four wait in our queue, the sixth is refused.
    const accepted = [1, 2, 3, 4, 5, 6].map(n => link.send(frame(n)))
    expect(accepted).toEqual([true, true, true, true, true, false])
    expect(link.counters.refusedFull).toBe(1)
    expect(link.queued).toBe(4)
    expect(drains).toBe(0)
    // Drain comes once the queue is back to half, not at the first free slot.
    c.release(); await settle()
    expect(link.queued).toBe(3)
    expect(drains).toBe(0)
    clock.advance(10); c.release(); await settle()
    expect(link.queued).toBe(2)
    expect(drains).toBe(1)
  })

  test('BleLink — paces frames: a burst back to back, then framesPerSecond', async () => {
    const c = carrier('ok')
    const { link, clock } = makeLink(c)
    link.attach(IGNORE)
    for (let n = 0; n < 4; n++) link.send(frame(n))
    await settle()
    expect(c.written.length).toBe(2)
    clock.advance(10); await settle()
    expect(c.written.length).toBe(3)
    clock.advance(10); await settle()
    expect(c.written.map(f => f[0])).toEqual([0, 1, 2, 3])
    expect(link.counters.framesOut).toBe(4)
    expect(link.counters.bytesOut).toBe(40)
  })

  test('BleLink — never has two library writes in flight (concurrent noble writes orphan the first)', async () => {
    const c = carrier('manual')
    const { link } = makeLink(c)
    link.attach(IGNORE)
    link.send(frame(1)); link.send(frame(2))
    await settle()
    expect(c.written.length).toBe(1)
    c.release(); await settle()
    expect(c.written.length).toBe(2)
  })

  test('BleLink — a write that never settles ends the link after writeTimeoutMs', async () => {
    const c = carrier('hang')
    const { link, clock, ended } = makeLink(c)
    const closes: string[] = []
    link.attach({ onFrame: () => {}, onDrain: () => {}, onClose: r => { closes.push(r) } })
    link.send(frame(1)); link.send(frame(2))
    await settle()
    clock.advance(999); await settle()
    expect(link.closed).toBe(false)
    clock.advance(1); await settle()
    expect(link.closed).toBe(true)
    expect(closes).toHaveLength(1)
    expect(closes[0]).toMatch(/write failed: .*did not settle/)
    expect(ended).toEqual(closes)
    expect(c.disconnects).toBe(1)
    expect(link.counters.writeErrors).toBe(1)
    expect(link.counters.droppedOnClose).toBe(1)
    expect(link.send(frame(3))).toBe(false)
  })

  test('BleLink — a frame larger than the MTU is a programmer error', () => {
    const { link } = makeLink(carrier('ok', 20))
    expect(() => link.send(new Uint8Array(21))).toThrow(RangeError)
    expect(link.send(new Uint8Array(20))).toBe(true)
  })

  test('BleLink — frames that arrive before attach are held (bounded) and delivered on attach', () => {
    const { link } = makeLink(carrier())
    link.receive(frame(1)); link.receive(frame(2)); link.receive(frame(3))
    const got: number[] = []
    link.attach({ onFrame: f => { got.push(f[0]!) }, onDrain: () => {}, onClose: () => {} })
    expect(got).toEqual([1, 2])
    expect(link.counters.droppedInbound).toBe(1)
    link.receive(frame(4))
    expect(got).toEqual([1, 2, 4])
    expect(link.counters.framesIn).toBe(4)
  })

  test('BleLink — remote close reports once, stops delivery, and a late attach still hears it', () => {
    const { link, ended } = makeLink(carrier())
    link.remoteClosed('disconnected (19)')
    link.remoteClosed('again')
    const closes: string[] = []
    link.attach({ onFrame: () => { throw new Error('no frames after close') }, onDrain: () => {}, onClose: r => { closes.push(r) } })
    link.receive(frame(1))
    expect(closes).toEqual(['disconnected (19)'])
    expect(ended).toEqual(['disconnected (19)'])
  })

  test('BleLink — waits only as long as the missing fraction of a token', async () => {
    const c = carrier('ok')
    const { link, clock } = makeLink(c)
    link.attach(IGNORE)
    link.send(frame(1)); link.send(frame(2))
    await settle()
    // The burst is spent; 5 ms later half a token has come back, so the third frame waits 5 ms more, not 10.
    clock.advance(5)
    link.send(frame(3))
    clock.advance(4); await settle()
    expect(c.written.length).toBe(2)
    clock.advance(1); await settle()
    expect(c.written.length).toBe(3)
  })

  test('BleLink — drain comes once per refusal, and never to a sender that was not refused', async () => {
    const c = carrier('manual')
    const { link, clock } = makeLink(c)
    let drains = 0
    link.attach({ onFrame: () => {}, onDrain: () => { drains++ }, onClose: () => {} })
    const next = async (): Promise<void> => { clock.advance(10); await settle(); c.release(); await settle() }
    link.send(frame(1)); link.send(frame(2))
    await next(); await next()
    expect(c.written.length).toBe(2)
    expect(drains).toBe(0)
    // One in flight, four queued, one refused: one drain when the queue is back to half, none after.
    expect([1, 2, 3, 4, 5, 6].map(n => link.send(frame(n)))).toEqual([true, true, true, true, true, false])
    for (let n = 0; n < 5; n++) await next()
    expect(link.queued).toBe(0)
    expect(drains).toBe(1)
    link.send(frame(7)); await next()
    expect(c.written.length).toBe(8)
    expect(drains).toBe(1)
  })

  test('BleLink — a sender refused before attach hears onDrain when it attaches, not into the void before', async () => {
    const c = carrier('ok')
    const { link, clock } = makeLink(c)
    const accepted = Array.from({ length: 6 }, (_, n) => link.send(frame(n)))
    expect(accepted).toEqual([true, true, true, true, true, false])
    for (let n = 0; n < 10; n++) { clock.advance(10); await settle() }
    expect(c.written.length).toBe(5)
    let drains = 0
    link.attach({ onFrame: () => {}, onDrain: () => { drains++ }, onClose: () => {} })
    expect(drains).toBe(1)
    for (let n = 0; n < 10; n++) { clock.advance(10); await settle() }
    expect(drains).toBe(1)
  })

  test('BleLink — a write that settles after the link closed counts nothing', async () => {
    for (const outcome of ['resolve', 'reject'] as const) {
      let settleWrite: () => void = () => {}
      const c = carrier()
      c.write = async () => {
        await new Promise<void>((resolve, reject) => { settleWrite = outcome === 'resolve' ? resolve : () => { reject(new Error('late')) } })
      }
      const { link, ended } = makeLink(c)
      link.attach(IGNORE)
      link.send(frame(1))
      link.close('bye')
      settleWrite(); await settle()
      expect(link.counters, outcome).toMatchObject({ framesOut: 0, bytesOut: 0, writeErrors: 0 })
      expect(ended, outcome).toEqual(['bye'])
      expect(c.disconnects, outcome).toBe(1)
    }
  })

  test('BleLink — closing while paced cancels the wake-up timer', async () => {
    const c = carrier('ok')
    const { link, clock } = makeLink(c)
    link.attach(IGNORE)
    for (let n = 0; n < 3; n++) link.send(frame(n))
    await settle()
    expect(clock.pending()).toBe(1)
    link.close()
    expect(clock.pending()).toBe(0)
    expect(link.counters.droppedOnClose).toBe(1)
  })

  test('BleLink — close twice hangs up once; frames after close are not counted', () => {
    const c = carrier()
    const { link, ended } = makeLink(c)
    link.close('first')
    link.close('second')
    link.receive(frame(1))
    expect(c.disconnects).toBe(1)
    expect(ended).toEqual(['first'])
    expect(link.counters.framesIn).toBe(0)
  })

  test('BleLink — attach twice is a programmer error', () => {
    const { link } = makeLink(carrier())
    link.attach(IGNORE)
    expect(() => { link.attach(IGNORE) }).toThrow(/attach called twice/)
  })

  test('BleLink — inbound bytes are counted, and a held frame that closes the link stops the rest', () => {
    const { link } = makeLink(carrier())
    link.receive(new Uint8Array(3)); link.receive(new Uint8Array(5))
    expect(link.counters).toMatchObject({ framesIn: 2, bytesIn: 8 })
    const got: number[] = []
    link.attach({ onFrame: f => { got.push(f.length); link.close('node gave up') }, onDrain: () => {}, onClose: () => {} })
    expect(got).toEqual([3])
  })

  test('BleLink — an observer that closes the link keeps the frame from the node', () => {
    const { link } = makeLink(carrier())
    const got: Uint8Array[] = []
    link.attach({ onFrame: f => { got.push(f) }, onDrain: () => {}, onClose: () => {} })
    link.observer = () => { link.close('observer refused') }
    link.receive(frame(1))
    expect(got).toEqual([])
  })

  test('BleLink — the observer sees inbound frames before the node does', () => {
    const { link } = makeLink(carrier())
    const order: string[] = []
    link.observer = () => { order.push('observer') }
    link.attach({ onFrame: () => { order.push('node') }, onDrain: () => {}, onClose: () => {} })
    link.receive(frame(1))
    expect(order).toEqual(['observer', 'node'])
  })
})
