// Real HCI, ATT and GATT without Bluetooth hardware: BlueZ's btvirt emulates LE controllers that share one
// virtual air, socat bridges each to a PTY, and blemesh nodes run as separate processes on those PTYs with
// the UART HCI driver (recipe: /work/shared/research/hci-emulator.md). Every process started here runs in
// its own process group and is killed in stop(), also when a test fails or times out.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { UartMux } from './uart-mux.js'

const root = join(import.meta.dirname, '..', '..')
const shimSource = join(import.meta.dirname, 'afalg-shim.c')

/** btvirt's fixed server sockets (hci-emulator.md §3): one emulator per machine at a time. */
const BTVIRT_SOCKETS = ['le', 'bredrle', 'bredr', 'amp', 'mon'].map(s => `/tmp/bt-server-${s}`)
const BTVIRT_LE_SOCKET = '/tmp/bt-server-le'
/** Our choice: each of these steps takes milliseconds; seconds mean something is broken. */
const STEP_TIMEOUT_MS = 10_000
/**
 * How long a process gets after SIGTERM before SIGKILL: longer than a node's own graceful stop (10 s,
 * cli/node-command.ts STOP_TIMEOUT_MS) plus its exit delay. A node killed before it disconnects leaves its
 * emulated link up for good (btvirt has no supervision timeout), and its neighbours never see it leave;
 * under load (the CI run) 2 s was not always enough.
 */
const KILL_GRACE_MS = 12_000

export interface Availability { ok: boolean, reason: string }

function onPath (command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
}

/** Whether this machine can run the emulator tests, and if not, why. */
export function emulatorAvailability (): Availability {
  if (process.platform !== 'linux') return { ok: false, reason: `btvirt needs Linux (this is ${process.platform})` }
  const missing = ['btvirt', 'socat', 'cc'].filter(c => !onPath(c))
  if (missing.length > 0) {
    return { ok: false, reason: `missing ${missing.join(', ')}: apt-get install -y bluez-test-tools socat build-essential` }
  }
  return { ok: true, reason: '' }
}

async function waitUntil (what: string, check: () => boolean, timeoutMs = STEP_TIMEOUT_MS): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > until) throw new Error(`emulator: timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

export interface Controller {
  /** PTY symlink that a blemesh node opens with --uart / --central-uart / --peripheral-uart. */
  port: string
  /** The controller's public address as the host stack reads it, e.g. 00:aa:01:02:00:42. */
  address: string
}

export type NodeEvent = { event: string, at: number } & Record<string, unknown>

export interface NodeOptions {
  name: string
  central?: Controller
  peripheral?: Controller
  allow?: string[]
  deny?: string[]
  /** SQLite file keeping the identity; reuse it to restart the same node. */
  identityFile?: string
  extraArgs?: string[]
  /** Start with stdin at end of file, as a relay under systemd has it (StandardInput=null); `write` then throws. */
  noStdin?: boolean
}

interface Managed { child: ChildProcess, name: string, exited: Promise<number | null> }

function manage (name: string, child: ChildProcess): Managed {
  const exited = new Promise<number | null>(resolve => {
    child.once('exit', code => { resolve(code) })
    child.once('error', () => { resolve(null) })
  })
  return { child, name, exited }
}

async function kill (m: Managed): Promise<void> {
  if (m.child.exitCode !== null || m.child.signalCode !== null || m.child.pid === undefined) return
  const group = -m.child.pid
  try { process.kill(group, 'SIGTERM') } catch { /* already gone */ }
  const timer = setTimeout(() => { try { process.kill(group, 'SIGKILL') } catch { /* already gone */ } }, KILL_GRACE_MS)
  await m.exited
  clearTimeout(timer)
}

/** One blemesh node process and the JSON events it printed. */
export class NodeProcess {
  readonly events: NodeEvent[] = []
  readonly stderr: string[] = []
  private readonly waiters = new Set<() => void>()

  constructor (readonly name: string, private readonly managed: Managed) {
    const lines = createInterface({ input: managed.child.stdout! })
    lines.on('line', line => {
      let parsed: unknown
      try { parsed = JSON.parse(line) } catch { this.stderr.push(`stdout: ${line}`); return }
      this.events.push({ ...(parsed as Record<string, unknown>), event: String((parsed as { event?: unknown }).event), at: performance.now() })
      for (const wake of [...this.waiters]) wake()
    })
    const errLines = createInterface({ input: managed.child.stderr! })
    errLines.on('line', line => {
      this.stderr.push(line)
      if (this.stderr.length > 2000) this.stderr.shift()
    })
    void managed.exited.then(() => { for (const wake of [...this.waiters]) wake() })
  }

  /** Resolves with the exit code once the process ended (null when killed by a signal). */
  async exited (): Promise<number | null> {
    return await this.managed.exited
  }

  get running (): boolean {
    return this.managed.child.exitCode === null && this.managed.child.signalCode === null
  }

  /** Resolves with the first event (already seen or future) that matches; rejects after `timeoutMs`. */
  async waitFor (predicate: (e: NodeEvent) => boolean, what: string, timeoutMs = 30_000, from = 0): Promise<NodeEvent> {
    return await new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.events.slice(from).find(predicate)
        if (found !== undefined) { done(); resolve(found); return }
        if (!this.running) { done(); reject(new Error(`${this.name} exited while waiting for ${what}\n${this.tail()}`)) }
      }
      const timer = setTimeout(() => { done(); reject(new Error(`${this.name}: timed out waiting for ${what}\n${this.tail()}`)) }, timeoutMs)
      const done = (): void => { clearTimeout(timer); this.waiters.delete(check) }
      this.waiters.add(check)
      check()
    })
  }

  /** Sends a line to the node's stdin: text becomes a public message, `/drop` closes its links. */
  write (line: string): void {
    this.managed.child.stdin!.write(`${line}\n`)
  }

  /** Last lines of stderr (pino logs), for failure messages. */
  tail (lines = 40): string {
    return this.stderr.slice(-lines).join('\n')
  }

  async stop (): Promise<void> {
    await kill(this.managed)
  }
}

export class Emulator {
  private readonly processes: Managed[] = []
  private readonly muxes: UartMux[] = []
  private readonly controllers: Controller[] = []
  private constructor (readonly dir: string, private readonly shim: string) {}

  /** Compiles the AF_ALG shim and starts `btvirt -s -l0` with it. */
  static async start (): Promise<Emulator> {
    const dir = mkdtempSync(join(tmpdir(), 'blemesh-emu-'))
    const shim = join(dir, 'afalg-shim.so')
    const cc = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-o', shim, shimSource, '-ldl'], { encoding: 'utf8' })
    if (cc.status !== 0) throw new Error(`emulator: compiling the AF_ALG shim failed:\n${cc.stderr}`)
    const emulator = new Emulator(dir, shim)
    // If the test runner exits without running afterAll (interrupted, crashed), still take everything down.
    const onExit = (): void => { emulator.killNow() }
    process.once('exit', onExit)
    emulator.forgetExitHook = () => { process.removeListener('exit', onExit) }
    try {
      // A btvirt killed earlier leaves its sockets behind, and a new one cannot bind over them.
      for (const socket of BTVIRT_SOCKETS) if (existsSync(socket)) unlinkSync(socket)
      const btvirt = spawn('btvirt', ['-s', '-l0'], { env: { ...process.env, LD_PRELOAD: shim }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
      emulator.processes.push(manage('btvirt', btvirt))
      await waitUntil('btvirt to open /tmp/bt-server-le', () => existsSync(BTVIRT_LE_SOCKET) || btvirt.exitCode !== null)
      if (btvirt.exitCode !== null) throw new Error(`emulator: btvirt exited with ${btvirt.exitCode}`)
    } catch (error) {
      await emulator.stop()
      throw error
    }
    return emulator
  }

  /** One more emulated LE controller on a PTY; its address is read through the HCI like a node would. */
  async addController (): Promise<Controller> {
    const port = join(this.dir, `tty${this.controllers.length}`)
    const socat = spawn('socat', ['-d', '-d', `PTY,link=${port},raw,echo=0`, `UNIX-CONNECT:${BTVIRT_LE_SOCKET}`],
      { detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
    const managed = manage(`socat ${port}`, socat)
    this.processes.push(managed)
    let log = ''
    socat.stderr!.on('data', (chunk: Buffer) => { log += chunk.toString() })
    await waitUntil(`socat to connect ${port}`, () => log.includes('starting data transfer loop') || socat.exitCode !== null)
    if (socat.exitCode !== null) throw new Error(`emulator: socat exited: ${log}`)
    await waitUntil(`${port} to appear`, () => existsSync(port))
    const controller = { port, address: await this.readAddress(port) }
    this.controllers.push(controller)
    return controller
  }

  /**
   * One controller reached through two PTYs, fanned out like Linux raw HCI sockets (uart-mux.ts): a node
   * given both ports runs noble and bleno on one adapter. The address is not probed (a probe would use up
   * the multiplexer's bind-time reset); read it from the node's ready event.
   */
  async addSharedController (): Promise<[Controller, Controller]> {
    const n = this.controllers.length + this.muxes.length
    const sockets = [join(this.dir, `mux${n}a.sock`), join(this.dir, `mux${n}b.sock`)]
    const mux = new UartMux(BTVIRT_LE_SOCKET, sockets)
    this.muxes.push(mux)
    await mux.connectController()
    const ports: Controller[] = []
    for (const [i, socket] of sockets.entries()) {
      const port = join(this.dir, `ttymux${n}${i === 0 ? 'a' : 'b'}`)
      const socat = spawn('socat', ['-d', '-d', `PTY,link=${port},raw,echo=0`, `UNIX-CONNECT:${socket}`],
        { detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
      this.processes.push(manage(`socat ${port}`, socat))
      let log = ''
      socat.stderr!.on('data', (chunk: Buffer) => { log += chunk.toString() })
      await waitUntil(`socat to connect ${port}`, () => log.includes('starting data transfer loop') || socat.exitCode !== null)
      if (socat.exitCode !== null) throw new Error(`emulator: socat exited: ${log}`)
      await waitUntil(`${port} to appear`, () => existsSync(port))
      ports.push({ port, address: '' })
    }
    return [ports[0]!, ports[1]!]
  }

  /** Starts `blemesh node` on the given controllers, printing JSON events; resolves once it reports ready. */
  async startNode (options: NodeOptions): Promise<NodeProcess> {
    const args = ['--import', 'tsx', join(root, 'cli', 'main.ts'), 'node', '--json-events', '--nickname', options.name,
      '--identity', options.identityFile ?? join(this.dir, `${options.name}.db`)]
    if (options.central !== undefined) args.push('--central-uart', options.central.port)
    if (options.peripheral !== undefined) args.push('--peripheral-uart', options.peripheral.port)
    if (options.central === undefined) args.push('--role', 'peripheral')
    if (options.peripheral === undefined) args.push('--role', 'central')
    if (options.allow !== undefined && options.allow.length > 0) args.push('--allow', options.allow.join(','))
    if (options.deny !== undefined && options.deny.length > 0) args.push('--deny', options.deny.join(','))
    args.push(...(options.extraArgs ?? []))
    const child = spawn(process.execPath, args, {
      cwd: root,
      detached: true,
      stdio: [options.noStdin === true ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, BLEMESH_LOG: process.env.BLEMESH_LOG ?? 'debug' },
    })
    const managed = manage(`node ${options.name}`, child)
    this.processes.push(managed)
    const node = new NodeProcess(options.name, managed)
    await node.waitFor(e => e.event === 'ready', 'ready', 30_000)
    return node
  }

  private forgetExitHook: () => void = () => {}

  /** Synchronous last resort: SIGKILL every process group we started. */
  killNow (): void {
    for (const m of this.processes) {
      if (m.child.pid !== undefined && m.child.exitCode === null && m.child.signalCode === null) {
        try { process.kill(-m.child.pid, 'SIGKILL') } catch { /* already gone */ }
      }
    }
    for (const socket of BTVIRT_SOCKETS) {
      try { unlinkSync(socket) } catch { /* gone */ }
    }
    rmSync(this.dir, { recursive: true, force: true })
  }

  async stop (): Promise<void> {
    this.forgetExitHook()
    for (const m of this.processes.splice(0).reverse()) await kill(m)
    for (const mux of this.muxes.splice(0)) mux.close()
    for (const socket of BTVIRT_SOCKETS) {
      try { if (existsSync(socket)) unlinkSync(socket) } catch { /* another run's, or gone */ }
    }
    rmSync(this.dir, { recursive: true, force: true })
  }

  private async readAddress (port: string): Promise<string> {
    // Through noble itself, so the address is exactly what the nodes will see in accept/discover.
    const script = `const { withBindings } = require('@stoprocent/noble');
      const n = withBindings('hci', { hciDriver: 'uart', bindParams: { uart: { port: ${JSON.stringify(port)}, baudRate: 1000000 } } });
      n.waitForPoweredOnAsync(8000).then(() => { process.stdout.write(n.address + '\\n'); process.exit(0) }, e => { console.error(e.message); process.exit(1) });`
    const probe = spawn(process.execPath, ['-e', script], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    const managed = manage('address probe', probe)
    this.processes.push(managed)
    let out = ''
    let err = ''
    probe.stdout!.on('data', (c: Buffer) => { out += c.toString() })
    probe.stderr!.on('data', (c: Buffer) => { err += c.toString() })
    const timer = setTimeout(() => { void kill(managed) }, STEP_TIMEOUT_MS)
    const code = await managed.exited
    clearTimeout(timer)
    const address = out.trim().split('\n')[0] ?? ''
    if (code !== 0 || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(address)) throw new Error(`emulator: reading the address on ${port} failed (${code}): ${err}`)
    return address
  }
}
