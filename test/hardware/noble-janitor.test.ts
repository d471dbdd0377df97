// The janitor against the real @stoprocent/noble: its core, its HCI bindings and its GAP layer, joined as
// the bindings join them, fed advertising reports the way the HCI socket would hand them over. Only the
// socket is missing, so every map pruned here is filled by the library's own code.
import { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import pino from 'pino'
import { describe, expect, test } from 'vitest'
import { MESH_SERVICE } from '../../hardware/gatt-profile.js'
import { NobleJanitor } from '../../hardware/noble-janitor.js'

const require = createRequire(import.meta.url)
const Noble = require('@stoprocent/noble/lib/noble.js') as new (bindings: unknown) => NobleView
const NobleBindings = require('@stoprocent/noble/lib/hci-socket/bindings.js') as new (options: object) => BindingsView
const Gap = require('@stoprocent/noble/lib/hci-socket/gap.js') as new (hci: EventEmitter) => GapView

interface GapView extends EventEmitter { _discoveries: Record<string, object> }
interface BindingsView extends EventEmitter {
  _gap: GapView
  _scanServiceUuids: string[]
  _addresses: Record<string, string>
  _addresseTypes: Record<string, string>
  _connectable: Record<string, boolean>
  scannable: Record<string, boolean>
  onDiscover: (...args: unknown[]) => void
}
interface NobleView { _peripherals: Map<string, { state: string }>, _registerListeners: () => void, on: (e: string, f: (p: unknown) => void) => void }

const logger = pino({ level: 'silent' })
/** HCI LE advertising report event types (Core Vol 4 Part E §7.7.65.2). */
const ADV_IND = 0x00
const SCAN_RSP = 0x04
const OTHER_SERVICE = '0000180f00001000800000805f9b34fb' // battery service, as some other device would advertise

/** Advertising data: flags, then the complete list of one 128-bit service UUID (little-endian). */
function eir (uuid: string): Buffer {
  const bytes = Buffer.from(uuid, 'hex').reverse()
  return Buffer.concat([Buffer.from([0x02, 0x01, 0x06, 0x11, 0x07]), bytes])
}

function library (): { noble: NobleView, bindings: BindingsView, hci: EventEmitter, discovered: string[] } {
  const hci = new EventEmitter()
  const bindings = new NobleBindings({})
  bindings._gap = new Gap(hci)
  bindings._gap.on('discover', bindings.onDiscover.bind(bindings))
  bindings._scanServiceUuids = [MESH_SERVICE]
  const noble = new Noble(bindings)
  noble._registerListeners()
  const discovered: string[] = []
  noble.on('discover', p => { discovered.push((p as { address: string }).address) })
  return { noble, bindings, hci, discovered }
}

/** One advertiser heard: its advertising report and the scan response that makes noble report it. */
function advertise (hci: EventEmitter, address: string, uuid = MESH_SERVICE): void {
  hci.emit('leAdvertisingReport', 0, ADV_IND, address, 'random', eir(uuid), -60)
  hci.emit('leAdvertisingReport', 0, SCAN_RSP, address, 'random', Buffer.alloc(0), -60)
}

/** Where the library remembers `address`: GAP, bindings, core. */
function remembered (lib: ReturnType<typeof library>, address: string): string[] {
  const id = address.replace(/:/g, '')
  const places: string[] = []
  if (address in lib.bindings._gap._discoveries) places.push('gap')
  if (id in lib.bindings._addresses && id in lib.bindings._addresseTypes && id in lib.bindings._connectable && id in lib.bindings.scannable) places.push('bindings')
  if (lib.noble._peripherals.has(id)) places.push('noble')
  return places
}

const A = 'c0:00:00:00:00:0a'
const B = 'c0:00:00:00:00:0b'
const OTHER = 'd0:00:00:00:00:01'

describe('NobleJanitor', () => {
  test('NobleJanitor — an advertiser unheard for a whole sweep is forgotten everywhere noble keeps it; one heard again stays', () => {
    const lib = library()
    const janitor = new NobleJanitor(lib.noble, () => false, logger)
    advertise(lib.hci, A)
    advertise(lib.hci, B)
    advertise(lib.hci, OTHER, OTHER_SERVICE)
    expect(lib.discovered).toEqual([A, B])
    expect([A, B, OTHER].map(a => remembered(lib, a))).toEqual([['gap', 'bindings', 'noble'], ['gap', 'bindings', 'noble'], ['gap']])
    expect(janitor.sweep()).toBe(0) // first sight of each: nothing is old yet
    advertise(lib.hci, B)
    expect(janitor.sweep()).toBe(2)
    expect([A, B, OTHER].map(a => remembered(lib, a))).toEqual([[], ['gap', 'bindings', 'noble'], []])
    // A forgotten advertiser that comes back is discovered as new.
    advertise(lib.hci, A)
    expect(remembered(lib, A)).toEqual(['gap', 'bindings', 'noble'])
  })

  test.each([
    ['kept by the central role', (lib: ReturnType<typeof library>) => new NobleJanitor(lib.noble, a => a === A, logger)],
    ['connected', (lib: ReturnType<typeof library>) => {
      lib.noble._peripherals.get(A.replace(/:/g, ''))!.state = 'connected'
      return new NobleJanitor(lib.noble, () => false, logger)
    }],
    ['being connected', (lib: ReturnType<typeof library>) => {
      lib.noble._peripherals.get(A.replace(/:/g, ''))!.state = 'connecting'
      return new NobleJanitor(lib.noble, () => false, logger)
    }],
    ['being disconnected', (lib: ReturnType<typeof library>) => {
      lib.noble._peripherals.get(A.replace(/:/g, ''))!.state = 'disconnecting'
      return new NobleJanitor(lib.noble, () => false, logger)
    }],
  ])('NobleJanitor — an advertiser %s is never forgotten', (_, make) => {
    const lib = library()
    advertise(lib.hci, A)
    const janitor = make(lib)
    janitor.sweep()
    expect(janitor.sweep()).toBe(0)
    expect(remembered(lib, A)).toEqual(['gap', 'bindings', 'noble'])
  })

  test('NobleJanitor — an advertiser whose connect failed (noble leaves it in state error) is forgotten like any other', () => {
    const lib = library()
    advertise(lib.hci, A)
    lib.noble._peripherals.get(A.replace(/:/g, ''))!.state = 'error'
    const janitor = new NobleJanitor(lib.noble, () => false, logger)
    janitor.sweep()
    expect(janitor.sweep()).toBe(1)
    expect(remembered(lib, A)).toEqual([])
  })

  test('NobleJanitor — without the HCI internals (macOS bindings, a test fake) it does nothing', () => {
    const janitor = new NobleJanitor(new EventEmitter(), () => false, logger)
    expect(janitor.sweep()).toBe(0)
    expect(new NobleJanitor(null, () => false, logger).sweep()).toBe(0)
  })
})
