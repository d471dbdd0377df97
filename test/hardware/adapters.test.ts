import { describe, expect, test } from 'vitest'
import { AdapterError } from '../../hardware/adapter-errors.js'
import { awaitPoweredOn, checkPlan, describeEndpoint, openAdapters } from '../../hardware/adapters.js'
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
})
