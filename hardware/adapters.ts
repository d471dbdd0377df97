// Opens noble (central) and bleno (peripheral) on the controllers a person chose: one adapter in both roles
// (Linux raw mode, with the research's workarounds), two adapters (central on one, peripheral on the
// other: the robust Raspberry Pi set-up), HCI over UART (a serial device per role), or the OS default
// (CoreBluetooth on macOS). The libraries load lazily so nothing else in blemesh pays for them.
import { existsSync } from 'node:fs'
import { platform } from 'node:os'
import type { Clock } from '../src/clock.js'
import type { Logger } from '../src/logger.js'
import { AdapterError, bluetoothdRunning, BLUETOOTHD_HINT, linuxAdapters, noAdapterError, noSerialPortError, stateError } from './adapter-errors.js'
import { ATT_MAX_MTU } from './gatt-profile.js'
import type { BlenoLike, ConnectionHandle, NobleLike } from './library-types.js'
import { TimeoutError, withTimeout } from './with-timeout.js'

export type Endpoint =
  | { kind: 'hci', deviceId: number }
  | { kind: 'uart', port: string, baudRate: number }
  /** The library's default: CoreBluetooth on macOS, the first adapter that is up on Linux. */
  | { kind: 'os' }

export interface AdapterPlan {
  central: Endpoint | null
  peripheral: Endpoint | null
  /**
   * The two endpoints reach one controller by different paths (e.g. a UART multiplexer): apply the
   * shared-adapter workarounds even though the endpoints differ. Default: shared when the endpoints match.
   */
  sharedController?: boolean
}

/** bluetooth-hci-socket lib/uart.js default; the rate btvirt PTYs and Zephyr hci_uart use. */
export const UART_BAUD_RATE = 1_000_000
/** bleno's default for waitForPoweredOnAsync is 10 s; a UART controller answers its reset in well under that. */
export const POWERED_ON_TIMEOUT_MS = 10_000

export interface CentralAdapter {
  noble: NobleLike
  /** macOS reports the write length, not the ATT MTU (noble-bleno.md §3). */
  mtuIsPayload: boolean
  where: string
}

export interface PeripheralAdapter {
  bleno: BlenoLike
  connectionMtu: (handle: ConnectionHandle) => number | undefined
  disconnectHandle: (handle: ConnectionHandle) => void
  where: string
}

export interface OpenedAdapters {
  central: CentralAdapter | null
  peripheral: PeripheralAdapter | null
  /** Both roles on one controller: noble's resets stop bleno's advertising (noble-bleno.md §1.4 A). */
  shared: boolean
  /** Releases the controllers; safe to call twice. */
  close: () => void
}

export function describeEndpoint (endpoint: Endpoint): string {
  switch (endpoint.kind) {
    case 'hci': return `hci${endpoint.deviceId}`
    case 'uart': return `uart:${endpoint.port}`
    case 'os': return 'the default adapter'
  }
}

export function sameController (a: Endpoint, b: Endpoint): boolean {
  if (a.kind === 'hci' && b.kind === 'hci') return a.deviceId === b.deviceId
  if (a.kind === 'uart' && b.kind === 'uart') return a.port === b.port
  return a.kind === 'os' && b.kind === 'os'
}

/** Checks a plan before any library loads, so a typo in a device path fails fast and clearly. */
export function checkPlan (plan: AdapterPlan): void {
  if (plan.central === null && plan.peripheral === null) throw new AdapterError('no-adapter', 'neither role has an adapter')
  if (plan.central !== null && plan.peripheral !== null && plan.central.kind === 'uart' && sameController(plan.central, plan.peripheral)) {
    throw new AdapterError('no-serial-port', `one serial port has one owner: give the central and the peripheral a port each ` +
      `(--central-uart P --peripheral-uart Q), or pick one role with --role`)
  }
  for (const endpoint of [plan.central, plan.peripheral]) {
    if (endpoint === null) continue
    if (endpoint.kind === 'uart' && !existsSync(endpoint.port)) throw noSerialPortError(endpoint.port)
    if (endpoint.kind === 'hci') {
      if (platform() !== 'linux') throw new AdapterError('unsupported-platform', `--hci is Linux only; on ${platform()} use the default adapter`)
      if (!linuxAdapters().includes(`hci${endpoint.deviceId}`)) throw noAdapterError(endpoint.deviceId)
    }
  }
}

export function hciOptions (endpoint: Endpoint): Record<string, unknown> {
  switch (endpoint.kind) {
    case 'hci': return { hciDriver: 'native', deviceId: endpoint.deviceId }
    case 'uart': return { hciDriver: 'uart', bindParams: { uart: { port: endpoint.port, baudRate: endpoint.baudRate } } }
    case 'os': return {}
  }
}

interface Closable { stop: () => void }

/** Waits for poweredOn with our own timeout; a library stuck in another state becomes an actionable AdapterError. */

export async function awaitPoweredOn (clock: Clock, library: 'noble' | 'bleno', instance: { state: string, waitForPoweredOnAsync: (ms?: number) => Promise<void> },
  where: string, timeoutMs: number): Promise<void> {
  try {
    // Our own timeout as well: the libraries' timer is theirs, ours is what this process can rely on.
    await withTimeout(clock, () => instance.waitForPoweredOnAsync(timeoutMs), timeoutMs + 1_000, `${library} poweredOn on ${where}`)
  } catch (error) {
    if (error instanceof TimeoutError || error instanceof Error) throw stateError(library, instance.state, where)
    throw error
  }
}

/** Opens the libraries on the plan's controllers: noble first, because its init resets the controller (§1.4 A). */
export async function openAdapters (plan: AdapterPlan, clock: Clock, logger: Logger, timeoutMs = POWERED_ON_TIMEOUT_MS): Promise<OpenedAdapters> {
  checkPlan(plan)
  const shared = plan.central !== null && plan.peripheral !== null && (plan.sharedController ?? sameController(plan.central, plan.peripheral))
  const usesNative = [plan.central, plan.peripheral].some(e => e?.kind === 'hci' || (e?.kind === 'os' && platform() === 'linux'))
  if (usesNative && bluetoothdRunning()) logger.warn(BLUETOOTHD_HINT)
  const opened: Closable[] = []
  const close = (): void => {
    for (const instance of opened.splice(0).reverse()) {
      try { instance.stop() } catch (error) { logger.debug({ err: error }, 'stopping a Bluetooth library failed') }
    }
  }
  try {
    let central: CentralAdapter | null = null
    if (plan.central !== null) {
      const where = describeEndpoint(plan.central)
      const { withBindings } = await import('@stoprocent/noble')
      const options = { ...hciOptions(plan.central), ...(shared ? { extended: false } : {}) }
      // On one shared controller noble must stay on legacy commands, or bleno's legacy advertising gets
      // Command Disallowed and the event mask hides extended reports (noble-bleno.md §1.4 B, C).
      const noble = (plan.central.kind === 'os' ? withBindings('default', options) : withBindings('hci', options)) as unknown as NobleLike
      opened.push(noble)
      await awaitPoweredOn(clock, 'noble', noble, where, timeoutMs)
      central = { noble, mtuIsPayload: platform() === 'darwin' && plan.central.kind === 'os', where }
      logger.info({ where, address: noble.address }, 'central adapter ready')
    }
    let peripheral: PeripheralAdapter | null = null
    if (plan.peripheral !== null) {
      const where = describeEndpoint(plan.peripheral)
      const { withBindings } = await import('@stoprocent/bleno')
      const options = hciOptions(plan.peripheral)
      const bleno = (plan.peripheral.kind === 'os' ? withBindings('default', options) : withBindings('hci', options)) as unknown as BlenoLike
      opened.push(bleno)
      await awaitPoweredOn(clock, 'bleno', bleno, where, timeoutMs)
      raiseServerMtu(bleno)
      peripheral = { bleno, connectionMtu: handle => privateConnectionMtu(bleno, handle), disconnectHandle: handle => { disconnectOne(bleno, handle) }, where }
      logger.info({ where, address: bleno.address }, 'peripheral adapter ready')
    }
    return { central, peripheral, shared, close }
  } catch (error) {
    close()
    throw error
  }
}

interface BlenoInternals {
  _bindings?: { _gatt?: { maxMtu?: number, _connections?: Map<unknown, { mtu?: number }> }, _hci?: { disconnect?: (handle: unknown) => void } }
}

/**
 * bleno 0.12 answers every MTU request with at most 256 (gatt.js `maxMtu`). Android centrals ask for 517
 * and write frames up to 512 bytes without looking at the negotiated MTU ([AND] BluetoothGattClientManager,
 * FragmentManager: bitchat-protocol.md §1), so the server takes the ATT maximum. bleno fragments and
 * reassembles ACL by the controller's buffer size, so nothing else changes. HCI bindings only.
 */
export function raiseServerMtu (bleno: BlenoLike): void {
  const gatt = (bleno as unknown as BlenoInternals)._bindings?._gatt
  if (gatt !== undefined && typeof gatt.maxMtu === 'number') gatt.maxMtu = ATT_MAX_MTU
}

/** bleno 0.12 keeps the MTU per connection only privately; public `bleno.mtu` is the last one of any link (§2.3). */
export function privateConnectionMtu (bleno: BlenoLike, handle: ConnectionHandle): number | undefined {
  const mtu = (bleno as unknown as BlenoInternals)._bindings?._gatt?._connections?.get(handle)?.mtu
  return typeof mtu === 'number' ? mtu : undefined
}

/** bleno.disconnect(handle) drops every link when handle is 0 (Zephyr's first handle): go to HCI directly. */
export function disconnectOne (bleno: BlenoLike, handle: ConnectionHandle): void {
  try {
    const hci = (bleno as unknown as BlenoInternals)._bindings?._hci
    if (typeof handle === 'number' && typeof hci?.disconnect === 'function') hci.disconnect(handle)
    else if (handle !== 0) bleno.disconnect(handle)
  } catch {
    // A connection that is already gone cannot be disconnected; that is the outcome we wanted.
  }
}
