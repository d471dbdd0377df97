// The child side of sim-jobs.ts: receives one RunSpec, runs it, and sends back its progress and its
// result (or the error that stopped it).
import { type ChildMessage, type RunSpec, runSpec } from './sim-jobs.js'

/** Progress goes to the parent at most this often (ms): the engine reports every 8 192 events. */
const PROGRESS_EVERY_MS = 100

function send (message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => { process.send!(message, undefined, {}, (e) => { if (e === null) resolve(); else reject(e) }) })
}

// A parent that is gone has no use for the result: without this, a killed `blemesh sim --compare` would
// leave its children simulating for as long as their runs take.
process.once('disconnect', () => { process.exit() })

process.once('message', (spec: RunSpec) => {
  let last = 0
  const onProgress = (fraction: number): void => {
    const now = performance.now()
    if (now - last < PROGRESS_EVERY_MS) return
    last = now
    process.send!({ progress: fraction } satisfies ChildMessage)
  }
  runSpec(spec, onProgress)
    .then(async (result) => { await send({ result }) })
    .catch(async (e: unknown) => { process.exitCode = 1; await send({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }) })
    .finally(() => { process.disconnect() })
})
