// One emulated controller shared by two UART clients, the way Linux raw HCI sockets share one adapter
// (noble-bleno.md §1.1, hci-emulator.md §5): every event and every inbound ACL packet goes to both clients,
// both clients' commands and ACL go to the controller. Each client's UART driver resets the controller
// when it binds; a raw socket does not, so that first reset is answered here. Later resets (noble's init
// and pre-connect HCI_Reset) reach the controller — which is what silently stops bleno's advertising.
import { connect, createServer, type Server, type Socket } from 'node:net'

const H4_COMMAND = 0x01
const H4_ACL = 0x02
const H4_EVENT = 0x04
/** HCI_Reset, OGF 0x03 OCF 0x0003. */
const RESET_OPCODE = 0x0c03
/** Command Complete for HCI_Reset, status success, one command credit. */
const RESET_COMPLETE = Buffer.from([H4_EVENT, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00])

/** Length of the H4 packet at the start of `b`, or 0 when incomplete; throws on an unknown packet type. */
function packetLength (b: Buffer): number {
  if (b.length < 1) return 0
  switch (b[0]) {
    case H4_COMMAND: return b.length < 4 ? 0 : 4 + b[3]!
    case H4_ACL: return b.length < 5 ? 0 : 5 + b.readUInt16LE(3)
    case H4_EVENT: return b.length < 3 ? 0 : 3 + b[2]!
    default: throw new Error(`uart-mux: unknown H4 packet type 0x${b[0]!.toString(16)}`)
  }
}

/** Splits a byte stream into whole H4 packets. */
class H4Splitter {
  private buffer = Buffer.alloc(0)
  constructor (private readonly onPacket: (packet: Buffer) => void) {}
  push (chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk])
    for (;;) {
      const length = packetLength(this.buffer)
      if (length === 0 || this.buffer.length < length) return
      this.onPacket(this.buffer.subarray(0, length))
      this.buffer = this.buffer.subarray(length)
    }
  }
}

export class UartMux {
  private readonly clients: Array<{ socket: Socket | null, bound: boolean }> = []
  private controller: Socket | null = null
  private readonly servers: Server[] = []

  /** Listens on one unix socket per client; socat bridges each to a PTY. */
  constructor (private readonly controllerPath: string, clientPaths: string[]) {
    for (const path of clientPaths) {
      const client = { socket: null as Socket | null, bound: false }
      this.clients.push(client)
      const server = createServer(socket => {
        client.socket = socket
        client.bound = false
        const splitter = new H4Splitter(packet => { this.fromClient(client, packet) })
        socket.on('data', chunk => { splitter.push(chunk) })
        socket.on('error', () => {})
        socket.on('close', () => { if (client.socket === socket) client.socket = null })
      })
      server.listen(path)
      this.servers.push(server)
    }
  }

  async connectController (): Promise<void> {
    const socket = connect(this.controllerPath)
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
    socket.on('error', () => {})
    const splitter = new H4Splitter(packet => {
      for (const client of this.clients) client.socket?.write(packet)
    })
    socket.on('data', chunk => { splitter.push(chunk) })
    this.controller = socket
  }

  close (): void {
    this.controller?.destroy()
    for (const client of this.clients) client.socket?.destroy()
    for (const server of this.servers) server.close()
  }

  private fromClient (client: { socket: Socket | null, bound: boolean }, packet: Buffer): void {
    if (packet[0] === H4_COMMAND && !client.bound && packet.readUInt16LE(1) === RESET_OPCODE) {
      client.bound = true
      client.socket?.write(RESET_COMPLETE)
      return
    }
    this.controller?.write(packet)
  }
}
