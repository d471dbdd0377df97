import { describe, expect, test } from 'vitest'
import { AdapterError } from '../../hardware/adapter-errors.js'
import {
  awaitPoweredOn, checkPlan, describeEndpoint, disconnectOne, type Endpoint, hciOptions, openAdapters, privateConnectionMtu, raiseServerMtu,
  sameController,
} from '../../hardware/adapters.js'
import { ATT_MAX_MTU } from '../../hardware/gatt-profile.js'
import type { BlenoLike } from '../../hardware/library-types.js'
import pino from 'pino'
import { ManualClock } from '../helpers/manual-clock.js'
import { settle } from './fake-libraries.js'

const logger = pino({ level: 'silent' })

function problemOf (fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    if (error instanceof AdapterError) return `${error.problem}: ${error.message}`
    throw error
  }
  return 'no error'
}

describe('adapters', () => {
  test.each([
    {
      name: 'one serial port for both roles',
      plan: { central: { kind: 'uart', port: '/dev/null', baudRate: 1 }, peripheral: { kind: 'uart', port: '/dev/null', baudRate: 1 } },
      expected: /^no-serial-port: one serial port has one owner/,
    },
    {
      name: 'a serial port that does not exist',
      plan: { central: { kind: 'uart', port: '/dev/blemesh-no-such-tty', baudRate: 1 }, peripheral: null },
      expected: /^no-serial-port: serial device \/dev\/blemesh-no-such-tty does not exist/,
    },
    {
      name: 'an adapter that is not there',
      plan: { central: { kind: 'hci', deviceId: 99 }, peripheral: { kind: 'hci', deviceId: 99 } },
      expected: process.platform === 'linux' ? /^no-adapter: hci99 not found: .*--hci N/ : /^unsupported-platform/,
    },
    { name: 'no role at all', plan: { central: null, peripheral: null }, expected: /^no-adapter: neither role/ },
  ] as const)('adapters — checkPlan refuses $name with an actionable message', ({ plan, expected }) => {
    expect(problemOf(() => { checkPlan(plan) })).toMatch(expected)
  })

  test('adapters — openAdapters fails before loading any library when the plan is wrong', async () => {
    await expect(openAdapters({ central: { kind: 'uart', port: '/dev/blemesh-no-such-tty', baudRate: 1 }, peripheral: null }, new ManualClock(), logger))
      .rejects.toBeInstanceOf(AdapterError)
  })

  test.each([
    { state: 'unauthorized', problem: 'permission', hint: 'sudo setcap cap_net_raw,cap_net_admin+eip $(readlink -f $(which node))' },
    { state: 'unsupported', problem: 'no-adapter', hint: '--uart /dev/ttyX' },
    { state: 'poweredOff', problem: 'powered-off', hint: 'sudo btmgmt -i hci0 power on' },
    { state: 'unknown', problem: 'timeout', hint: 'never reached poweredOn on hci0 (state unknown)' },
  ])('adapters — a library stuck in $state becomes a $problem error naming the fix', async ({ state, problem, hint }) => {
    const clock = new ManualClock()
    const stuck = { state, waitForPoweredOnAsync: async () => await new Promise<void>(() => {}) }
    const outcome = awaitPoweredOn(clock, 'noble', stuck, 'hci0', 10_000).then(() => null, (e: unknown) => e)
    await settle()
    clock.advance(11_000)
    const error = await outcome
    expect(error).toBeInstanceOf(AdapterError)
    expect((error as AdapterError).problem).toBe(problem)
    expect((error as AdapterError).message).toContain(hint)
  })

  test('adapters — endpoints are named the way people type them', () => {
    expect([
      describeEndpoint({ kind: 'hci', deviceId: 1 }),
      describeEndpoint({ kind: 'uart', port: '/dev/ttyACM0', baudRate: 1_000_000 }),
      describeEndpoint({ kind: 'os' }),
    ]).toEqual(['hci1', 'uart:/dev/ttyACM0', 'the default adapter'])
  })

  const hci0: Endpoint = { kind: 'hci', deviceId: 0 }
  const hci1: Endpoint = { kind: 'hci', deviceId: 1 }
  const ttyA: Endpoint = { kind: 'uart', port: '/dev/ttyA', baudRate: 1_000_000 }
  const ttyB: Endpoint = { kind: 'uart', port: '/dev/ttyB', baudRate: 1_000_000 }
  const os: Endpoint = { kind: 'os' }

  test.each<[string, Endpoint, Endpoint, boolean]>([
    ['hci0 twice', hci0, hci0, true],
    ['hci0 and hci1', hci0, hci1, false],
    ['one serial port twice', ttyA, ttyA, true],
    ['two serial ports', ttyA, ttyB, false],
    ['the default adapter twice', os, os, true],
    ['hci0 and a serial port', hci0, ttyA, false],
    ['the default adapter and hci0', os, hci0, false],
    ['a serial port and the default adapter', ttyA, os, false],
  ])('adapters — sameController: %s → %s', (_name, a, b, same) => {
    expect([sameController(a, b), sameController(b, a)]).toEqual([same, same])
  })

  test('adapters — each endpoint becomes the libraries\' binding options', () => {
    expect([hciOptions(hci1), hciOptions(ttyA), hciOptions(os)]).toEqual([
      { hciDriver: 'native', deviceId: 1 },
      { hciDriver: 'uart', bindParams: { uart: { port: '/dev/ttyA', baudRate: 1_000_000 } } },
      {},
    ])
  })

  /** A bleno with the private parts adapters.ts reaches into (bleno 0.12's HCI bindings). */
  function blenoWith (internals: unknown): BlenoLike & { disconnects: unknown[] } {
    const disconnects: unknown[] = []
    return Object.assign({ disconnect: (h: unknown) => { disconnects.push(h) }, disconnects, _bindings: internals }) as unknown as BlenoLike & { disconnects: unknown[] }
  }

  test('adapters — the GATT server takes the ATT maximum MTU where bleno keeps its cap, and nothing breaks where it does not', () => {
    const gatt: { maxMtu?: number } = { maxMtu: 256 }
    raiseServerMtu(blenoWith({ _gatt: gatt }))
    expect(gatt.maxMtu).toBe(ATT_MAX_MTU)
    const noCap: { maxMtu?: number } = {}
    raiseServerMtu(blenoWith({ _gatt: noCap }))
    expect(noCap).toEqual({})
    expect(() => { raiseServerMtu(blenoWith(undefined)) }).not.toThrow()
  })

  test('adapters — a connection\'s MTU is read from bleno\'s private table, or is unknown', () => {
    const connections = new Map<unknown, { mtu?: unknown }>([[5, { mtu: 185 }], [6, {}], [7, { mtu: '185' }]])
    const bleno = blenoWith({ _gatt: { _connections: connections } })
    expect([5, 6, 7, 8].map(h => privateConnectionMtu(bleno, h))).toEqual([185, undefined, undefined, undefined])
    expect(privateConnectionMtu(blenoWith({}), 5)).toBeUndefined()
  })

  test('adapters — one connection is dropped by its own handle, handle 0 included, never all of them', () => {
    const hciCalls: unknown[] = []
    const withHci = blenoWith({ _hci: { disconnect: (h: unknown) => { hciCalls.push(h) } } })
    disconnectOne(withHci, 0)
    disconnectOne(withHci, 64)
    disconnectOne(withHci, 'a-uuid')
    expect(hciCalls).toEqual([0, 64])
    expect(withHci.disconnects).toEqual(['a-uuid'])
    // Without the HCI bindings (macOS) bleno's own call, which would read handle 0 as "everyone": skipped.
    const plain = blenoWith({})
    disconnectOne(plain, 0)
    disconnectOne(plain, 'a-uuid')
    expect(plain.disconnects).toEqual(['a-uuid'])
    const gone = blenoWith({ _hci: { disconnect: () => { throw new Error('Unknown Connection Identifier') } } })
    expect(() => { disconnectOne(gone, 3) }).not.toThrow()
  })

  test('adapters — awaitPoweredOn lets the library\'s own timer speak first, and passes through a poweredOn', async () => {
    const clock = new ManualClock()
    const asked: Array<number | undefined> = []
    await awaitPoweredOn(clock, 'bleno', { state: 'poweredOn', waitForPoweredOnAsync: async (ms) => { asked.push(ms) } }, 'hci0', 10_000)
    expect(asked).toEqual([10_000])
    let settled = false
    const stuck = { state: 'poweredOff', waitForPoweredOnAsync: async () => await new Promise<void>(() => {}) }
    void awaitPoweredOn(clock, 'noble', stuck, 'hci0', 10_000).catch(() => { settled = true })
    await settle()
    clock.advance(10_999); await settle()
    expect(settled).toBe(false)
    clock.advance(1); await settle()
    expect(settled).toBe(true)
  })

  test('adapters — a library that rejects with something other than an Error still becomes an AdapterError', async () => {
    const odd = { state: 'unknown', waitForPoweredOnAsync: async () => { throw 'not an Error' } } // eslint-disable-line @typescript-eslint/only-throw-error
    await expect(awaitPoweredOn(new ManualClock(), 'noble', odd, 'hci0', 10)).rejects.toBeInstanceOf(AdapterError)
  })
})
