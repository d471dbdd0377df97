// What went wrong with the Bluetooth adapter, said so a person can fix it: the library states
// 'unauthorized' / 'unsupported' / 'poweredOff' (noble-bleno.md §1.3) become one of these with the command
// that helps. The libraries themselves only print a hint to stdout and wait forever.
import { existsSync, readdirSync, readFileSync } from 'node:fs'

export type AdapterProblem = 'no-adapter' | 'permission' | 'powered-off' | 'bluetoothd' | 'no-serial-port' | 'unsupported-platform' | 'timeout'

export const SETCAP_COMMAND = 'sudo setcap cap_net_raw,cap_net_admin+eip $(readlink -f $(which node))'

export class AdapterError extends Error {
  constructor (readonly problem: AdapterProblem, message: string) {
    super(message)
    this.name = 'AdapterError'
  }
}

/** Linux lists its HCI adapters here; absent on kernels without Bluetooth. */
const SYS_BLUETOOTH = '/sys/class/bluetooth'

export function linuxAdapters (): string[] {
  try {
    return readdirSync(SYS_BLUETOOTH).filter(name => /^hci\d+$/.test(name)).sort()
  } catch {
    return []
  }
}

/** True when a bluetoothd process is running (it speaks ATT on the same links and fights noble: §1.3). */
export function bluetoothdRunning (): boolean {
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue
      try {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'bluetoothd') return true
      } catch { /* the process ended while we looked */ }
    }
  } catch { /* no /proc: not Linux */ }
  return false
}

export const BLUETOOTHD_HINT =
  'bluetoothd is running and shares the adapter: stop it with `sudo systemctl stop bluetooth` ' +
  '(and `sudo systemctl disable bluetooth` to keep it stopped), then bring the adapter up with `sudo btmgmt -i hci0 power on`'

export function noAdapterError (deviceId: number): AdapterError {
  const present = linuxAdapters()
  const list = present.length === 0 ? 'no Bluetooth adapter is present (nothing in /sys/class/bluetooth)' : `adapters present: ${present.join(', ')}`
  return new AdapterError('no-adapter', `hci${deviceId} not found: ${list}. Plug in a Bluetooth LE adapter or pick another with --hci N, ` +
    'or use a UART controller with --uart /dev/ttyX')
}

export function noSerialPortError (port: string): AdapterError {
  return new AdapterError('no-serial-port', `serial device ${port} does not exist; check the path of the UART HCI controller`)
}

/** Turns the state a library was stuck in when poweredOn never came into an actionable error. */
export function stateError (library: 'noble' | 'bleno', state: string, where: string): AdapterError {
  switch (state) {
    case 'unauthorized':
      return new AdapterError('permission', `${library} may not open ${where}: missing capabilities. Run ` +
        `\`${SETCAP_COMMAND}\` once (or run as root, or give a systemd unit AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN)`)
    case 'unsupported':
      return existsSync(SYS_BLUETOOTH) || where.startsWith('uart')
        ? new AdapterError('no-adapter', `${library} found no usable Bluetooth LE controller on ${where} ` +
          `(adapters present: ${linuxAdapters().join(', ') || 'none'}); pick another with --hci N or --uart /dev/ttyX` +
          (bluetoothdRunning() ? `. If bluetoothd holds the adapter (user channel: busy): ${BLUETOOTHD_HINT}` : ''))
        : new AdapterError('no-adapter', `${library} cannot open ${where}: this kernel has no Bluetooth support ` +
          '(no /sys/class/bluetooth); use a UART controller with --uart /dev/ttyX')
    case 'poweredOff':
      return new AdapterError('powered-off', `${where} is down: run \`sudo btmgmt -i ${where} power on\` ` +
        `(or \`sudo hciconfig ${where} up\`)${bluetoothdRunning() ? `; ${BLUETOOTHD_HINT}` : ''}`)
    default:
      return new AdapterError('timeout', `${library} never reached poweredOn on ${where} (state ${state})` +
        (bluetoothdRunning() ? `; ${BLUETOOTHD_HINT}` : ''))
  }
}
