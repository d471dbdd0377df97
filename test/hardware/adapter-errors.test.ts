import { describe, expect, test } from 'vitest'
import {
  AdapterError, BLUETOOTHD_HINT, SETCAP_COMMAND, bluetoothdRunning, linuxAdapters, noAdapterError, noSerialPortError, stateError,
} from '../../hardware/adapter-errors.js'

// These read the machine (/sys/class/bluetooth, /proc): the expectations are built from what it has, so
// they hold on a laptop with an adapter and in CI without one.
const adapters = linuxAdapters()
const hint = bluetoothdRunning() ? BLUETOOTHD_HINT : null

describe('adapter errors', () => {
  test('adapter errors — linuxAdapters lists hciN entries in order, or nothing', () => {
    expect(adapters).toEqual([...adapters].sort())
    for (const name of adapters) expect(name).toMatch(/^hci\d+$/)
  })

  test.each([
    { state: 'unauthorized', problem: 'permission', has: [SETCAP_COMMAND, 'noble may not open hci0', 'AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN'] },
    { state: 'poweredOff', problem: 'powered-off', has: ['hci0 is down: run `sudo btmgmt -i hci0 power on`', 'sudo hciconfig hci0 up'] },
    { state: 'resetting', problem: 'timeout', has: ['noble never reached poweredOn on hci0 (state resetting)'] },
  ])('adapter errors — a library stuck in $state is a $problem error with the fix in it', ({ state, problem, has }) => {
    const error = stateError('noble', state, 'hci0')
    expect(error).toBeInstanceOf(AdapterError)
    expect(error.name).toBe('AdapterError')
    expect(error.problem).toBe(problem)
    for (const part of has) expect(error.message).toContain(part)
    if (state !== 'unauthorized') expect(error.message.includes(BLUETOOTHD_HINT)).toBe(hint !== null)
  })

  test('adapter errors — unsupported on a UART controller means no usable controller there, never a kernel without Bluetooth', () => {
    const error = stateError('bleno', 'unsupported', 'uart:/dev/ttyS0')
    expect(error.problem).toBe('no-adapter')
    expect(error.message).toContain(`bleno found no usable Bluetooth LE controller on uart:/dev/ttyS0 (adapters present: ${adapters.join(', ') || 'none'})`)
    expect(error.message).not.toContain('no Bluetooth support')
  })

  test('adapter errors — unsupported on an HCI device says whether the kernel has Bluetooth at all', () => {
    const error = stateError('noble', 'unsupported', 'hci0')
    expect(error.problem).toBe('no-adapter')
    if (adapters.length === 0 && !error.message.includes('found no usable')) {
      expect(error.message).toBe('noble cannot open hci0: this kernel has no Bluetooth support (no /sys/class/bluetooth); use a UART controller with --uart /dev/ttyX')
    } else {
      expect(error.message).toContain('noble found no usable Bluetooth LE controller on hci0')
    }
  })

  test('adapter errors — a missing adapter lists the ones present; a missing serial device names its path', () => {
    const missing = noAdapterError(7)
    expect(missing.problem).toBe('no-adapter')
    expect(missing.message).toContain(adapters.length === 0 ? 'hci7 not found: no Bluetooth adapter is present' : `hci7 not found: adapters present: ${adapters.join(', ')}`)
    expect(missing.message).toContain('--hci N')
    const serial = noSerialPortError('/dev/ttyUSB9')
    expect([serial.problem, serial.message]).toEqual(['no-serial-port', 'serial device /dev/ttyUSB9 does not exist; check the path of the UART HCI controller'])
  })
})
