// Fakes of @stoprocent/noble and @stoprocent/bleno with the behaviours the research measured (calls that
// never settle, no backpressure, handle-first callbacks), scriptable per test. Only what the roles use.
import { EventEmitter } from 'node:events'
import type {
  BlenoCharacteristicOptions, BlenoLike, ConnectionHandle, NobleCharacteristicLike, NobleConnectOptions, NobleLike, NoblePeripheralLike,
} from '../../hardware/library-types.js'
import { MESH_CHARACTERISTIC, MESH_SERVICE } from '../../hardware/gatt-profile.js'

const never = <T>(): Promise<T> => new Promise<T>(() => {})

export class FakeBleno extends EventEmitter implements BlenoLike {
  state = 'poweredOn'
  address = '00:aa:00:00:00:01'
  platform = 'linux'
  characteristic: BlenoCharacteristicOptions | null = null
  services: unknown[] = []
  advertising = false
  advertiseCalls = 0
  advertiseArgs: Array<[string, string[]]> = []
  /** Make startAdvertising hang (never settle) or fail. */
  advertiseMode: 'ok' | 'hang' | 'fail' = 'ok'
  disconnected: ConnectionHandle[] = []
  notified = new Map<ConnectionHandle, Buffer[]>()
  mtus = new Map<ConnectionHandle, number>()

  readonly Characteristic = class {
    constructor (readonly options: BlenoCharacteristicOptions) {}
  } as unknown as BlenoLike['Characteristic']

  readonly PrimaryService = class {
    constructor (readonly options: { uuid: string, characteristics: unknown[] }) {}
  } as unknown as BlenoLike['PrimaryService']

  async waitForPoweredOnAsync (): Promise<void> {
    if (this.state !== 'poweredOn') await never()
  }

  async setServicesAsync (services: unknown[]): Promise<void> {
    this.services = services
    const service = services[0] as { options: { characteristics: Array<{ options: BlenoCharacteristicOptions }> } }
    this.characteristic = service.options.characteristics[0]!.options
  }

  async startAdvertisingAsync (name: string, uuids: string[]): Promise<void> {
    this.advertiseCalls++
    this.advertiseArgs.push([name, uuids])
    if (this.advertiseMode === 'hang') return await never()
    if (this.advertiseMode === 'fail') throw new Error('Command Disallowed')
    this.advertising = true
  }

  stopAdvertiseCalls = 0

  async stopAdvertisingAsync (): Promise<void> {
    this.stopAdvertiseCalls++
    this.advertising = false
  }

  disconnect (handle?: ConnectionHandle | null): void {
    this.disconnected.push(handle ?? 'all')
  }

  stop (): void {}

  // ---- what a central does to us ----

  connectCentral (address: string, handle: ConnectionHandle, mtu = 256): void {
    this.mtus.set(handle, mtu)
    this.emit('accept', address, handle)
  }

  subscribeCentral (handle: ConnectionHandle): void {
    const mtu = this.mtus.get(handle) ?? 23
    const sent: Buffer[] = []
    this.notified.set(handle, sent)
    this.characteristic!.onSubscribe(handle, mtu - 3, data => {
      if (!this.mtus.has(handle)) throw new TypeError("Cannot destructure property 'mtu' of undefined")
      sent.push(Buffer.from(data))
    })
  }

  /** A central connects and subscribes: a link, from our side. */
  linkCentral (address: string, handle: ConnectionHandle, mtu?: number): void {
    this.connectCentral(address, handle, mtu)
    this.subscribeCentral(handle)
  }

  writeFromCentral (handle: ConnectionHandle, data: Uint8Array): void {
    this.characteristic!.onWriteRequest(handle, Buffer.from(data), 0, true, () => {})
  }

  disconnectCentral (address: string, handle: ConnectionHandle): void {
    this.mtus.delete(handle)
    this.emit('disconnect', address, handle)
  }
}

export class FakeCharacteristic extends EventEmitter implements NobleCharacteristicLike {
  readonly uuid = MESH_CHARACTERISTIC
  properties: string[] = ['read', 'write', 'writeWithoutResponse', 'notify']
  written: Buffer[] = []
  /** The withoutResponse flag of each write. */
  withoutResponse: boolean[] = []
  writeMode: 'ok' | 'hang' | 'fail' = 'ok'
  subscribeMode: 'ok' | 'hang' = 'ok'

  async writeAsync (data: Buffer, withoutResponse: boolean): Promise<void> {
    if (this.writeMode === 'hang') return await never()
    if (this.writeMode === 'fail') throw new Error('Disconnected 19')
    this.written.push(Buffer.from(data))
    this.withoutResponse.push(withoutResponse)
  }

  async subscribeAsync (): Promise<void> {
    if (this.subscribeMode === 'hang') await never()
  }

  notify (data: Uint8Array): void {
    this.emit('data', Buffer.from(data), true)
  }
}

export class FakePeripheral extends EventEmitter implements NoblePeripheralLike {
  state = 'disconnected'
  mtu: number | null = null
  readonly characteristic = new FakeCharacteristic()
  discoverMode: 'ok' | 'hang' | 'missing' = 'ok'
  disconnects = 0
  /** In range and advertising (connected peripherals keep advertising in a mesh). */
  advertising = true

  constructor (readonly id: string, readonly address: string, public rssi = -60,
    readonly advertisement = { serviceUuids: [MESH_SERVICE] }, public negotiatedMtu = 256) {
    super()
  }

  discoverArgs: Array<[string[], string[]]> = []

  async discoverSomeServicesAndCharacteristicsAsync (services: string[], characteristics: string[]): Promise<{ characteristics: NobleCharacteristicLike[] }> {
    this.discoverArgs.push([services, characteristics])
    if (this.discoverMode === 'hang') return await never()
    if (this.discoverMode === 'missing') return { characteristics: [] }
    this.mtu = this.negotiatedMtu
    return { characteristics: [this.characteristic] }
  }

  async disconnectAsync (): Promise<void> {
    this.disconnects++
    this.state = 'disconnected'
    this.emit('disconnect', 'local')
  }

  /** The remote side drops the link. */
  drop (reason: number | string = 0x13): void {
    this.state = 'disconnected'
    this.emit('disconnect', reason)
  }
}

export class FakeNoble extends EventEmitter implements NobleLike {
  state = 'poweredOn'
  address = '00:aa:00:00:00:02'
  scanning = false
  scanStarts = 0
  readonly peripherals = new Map<string, FakePeripheral>()
  connectCalls: Array<[string, NobleConnectOptions | undefined]> = []
  cancelled: string[] = []
  /** Per peripheral id: 'ok' connects, 'hang' never settles (absent device), 'fail' rejects. */
  connectMode = new Map<string, 'ok' | 'hang' | 'fail'>()

  async waitForPoweredOnAsync (): Promise<void> {
    if (this.state !== 'poweredOn') await never()
  }

  scanArgs: Array<[string[] | undefined, boolean | undefined]> = []
  /** Scan commands that will fail before the next one succeeds (noble's view of the scan drifts). */
  scanFailures = 0

  async startScanningAsync (serviceUuids?: string[], allowDuplicates?: boolean): Promise<void> {
    this.scanArgs.push([serviceUuids, allowDuplicates])
    if (this.scanFailures > 0) { this.scanFailures--; throw new Error('Command Disallowed') }
    this.scanning = true
    this.scanStarts++
    // Like a controller with duplicate filtering (and btvirt): each advertiser in range once per scan enable.
    queueMicrotask(() => {
      for (const p of this.peripherals.values()) if (this.scanning && p.advertising) this.emit('discover', p)
    })
  }

  async stopScanningAsync (): Promise<void> {
    this.scanning = false
  }

  async connectAsync (id: string, options?: NobleConnectOptions): Promise<NoblePeripheralLike> {
    this.connectCalls.push([id, options])
    const peripheral = this.peripherals.get(id)
    const mode = this.connectMode.get(id) ?? 'ok'
    if (peripheral === undefined || mode === 'hang') return await never()
    if (mode === 'fail') throw new Error('Connection Failed to be Established')
    peripheral.state = 'connected'
    return peripheral
  }

  cancelConnect (id: string): void {
    this.cancelled.push(id)
  }

  stop (): void {}

  /** An advertiser of the mesh service comes into range. */
  advertise (peripheral: FakePeripheral): void {
    this.peripherals.set(peripheral.id, peripheral)
    if (this.scanning) this.emit('discover', peripheral)
  }
}

/** Lets every pending promise callback run (fakes settle on microtasks; timers are on a ManualClock). */
export async function settle (rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise(resolve => setImmediate(resolve))
}
