// The parts of @stoprocent/noble 2.8 and @stoprocent/bleno 0.12 this transport uses, as structural types.
// The roles are written against these so tests can hand them fakes; adapters.ts casts the real instances.
// Shapes checked against the packages' index.d.ts and lib/ (noble-bleno.md §2).

export type Listener = (...args: any[]) => void

export interface Emitter {
  on (event: string, listener: Listener): unknown
  once (event: string, listener: Listener): unknown
  removeListener (event: string, listener: Listener): unknown
}

/** HCI connection handle on Linux, the central's UUID on macOS. */
export type ConnectionHandle = number | string

export interface BlenoCharacteristicOptions {
  uuid: string
  properties: readonly string[]
  onReadRequest: (handle: ConnectionHandle, offset: number, callback: (result: number, data?: Buffer) => void) => void
  onWriteRequest: (handle: ConnectionHandle, data: Buffer, offset: number, withoutResponse: boolean,
    callback: (result: number) => void) => void
  onSubscribe: (handle: ConnectionHandle, maxValueSize: number, updateValueCallback: (data: Buffer) => void) => void
  onUnsubscribe: (handle: ConnectionHandle) => void
}

export interface BlenoLike extends Emitter {
  readonly state: string
  readonly address: string
  readonly platform?: string
  readonly Characteristic: new (options: BlenoCharacteristicOptions) => unknown
  readonly PrimaryService: new (options: { uuid: string, characteristics: unknown[] }) => unknown
  waitForPoweredOnAsync (timeoutMs?: number): Promise<void>
  setServicesAsync (services: unknown[]): Promise<void>
  startAdvertisingAsync (name: string, serviceUuids: string[]): Promise<void>
  stopAdvertisingAsync (): Promise<void>
  /** bleno disconnects every link when the handle is falsy (0 included: noble-bleno.md §2.5). */
  disconnect (handle?: ConnectionHandle | null): void
  stop (): void
}

export interface NobleCharacteristicLike extends Emitter {
  readonly uuid: string
  readonly properties: readonly string[]
  writeAsync (data: Buffer, withoutResponse: boolean): Promise<void>
  subscribeAsync (): Promise<void>
}

export interface NoblePeripheralLike extends Emitter {
  readonly id: string
  readonly address: string
  readonly addressType?: string
  readonly rssi: number
  /** False for non-connectable advertisers (beacons); absent in fakes. */
  readonly connectable?: boolean
  readonly mtu: number | null
  readonly state: string
  readonly advertisement?: { serviceUuids?: string[] }
  discoverSomeServicesAndCharacteristicsAsync (serviceUuids: string[], characteristicUuids: string[]):
  Promise<{ characteristics: NobleCharacteristicLike[] }>
  disconnectAsync (): Promise<void>
}

export interface NobleConnectOptions {
  /** Exists at runtime (stoprocent/noble#75) though missing from index.d.ts: the ATT MTU to request. */
  mtu?: number
  addressType?: 'public' | 'random'
}

export interface NobleLike extends Emitter {
  readonly state: string
  readonly address: string
  waitForPoweredOnAsync (timeoutMs?: number): Promise<void>
  startScanningAsync (serviceUuids?: string[], allowDuplicates?: boolean): Promise<void>
  stopScanningAsync (): Promise<void>
  connectAsync (idOrAddress: string, options?: NobleConnectOptions): Promise<NoblePeripheralLike>
  cancelConnect (idOrAddress: string): void
  stop (): void
}
