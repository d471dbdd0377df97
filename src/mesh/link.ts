// The seam between the mesh and whatever carries its frames: a GATT connection, an in-memory pipe or a
// simulated radio link. The router sees only this.

export interface LinkHandlers {
  /** One whole frame (one GATT write or notification). */
  onFrame (frame: Uint8Array): void
  /**
   * The link can take frames again after `send` returned false; once per refusal, and at `attach` for a
   * refusal before it.
   */
  onDrain (): void
  /** The link is gone; no handler is called after this. */
  onClose (reason: string): void
}

export interface LinkInfo {
  /** Who opened the connection: we scanned and connected (central) or they did (peripheral). */
  readonly role?: 'central' | 'peripheral'
  /** Radio address or simulator node id, for logs and allow/deny lists; never sent on the mesh. */
  readonly address?: string
  readonly rssi?: number
}

export interface Link {
  /** Unique among the links of one transport. */
  readonly id: string
  /** Largest frame one `send` may carry (ATT MTU − 3 on BLE). */
  readonly mtu: number
  readonly info: LinkInfo
  readonly closed: boolean
  /** The node calls this once, before any frame can be delivered. */
  attach (handlers: LinkHandlers): void
  /**
   * Offers one frame. `true`: taken. `false`: the link is full and took nothing; wait for `onDrain`.
   * Never throws for a closed or full link.
   */
  send (frame: Uint8Array): boolean
  close (reason?: string): void
}

export interface TransportHandlers {
  onLink (link: Link): void
}

/** Produces links as neighbours appear; a lost link reports through its own `onClose`. */
export interface Transport {
  start (handlers: TransportHandlers): Promise<void>
  /** Closes every link; idempotent. */
  stop (): Promise<void>
}
