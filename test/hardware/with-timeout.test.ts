import { describe, expect, test } from 'vitest'
import { TimeoutError, withTimeout } from '../../hardware/with-timeout.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { settle } from './fake-libraries.js'

describe('withTimeout', () => {
  test('withTimeout — a call that never settles rejects with TimeoutError and runs onTimeout once', async () => {
    const clock = new ManualClock()
    let cancelled = 0
    const result = withTimeout(clock, new Promise(() => {}), 8_000, 'connect', () => { cancelled++ })
    const outcome = result.then(() => 'resolved', (e: unknown) => e)
    clock.advance(7_999); await settle()
    clock.advance(1)
    const error = await outcome
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as Error).message).toBe('connect did not settle within 8000 ms')
    expect(cancelled).toBe(1)
  })

  test('withTimeout — a settled call clears its timer and passes value or error through', async () => {
    const clock = new ManualClock()
    await expect(withTimeout(clock, Promise.resolve(5), 10, 'x')).resolves.toBe(5)
    await expect(withTimeout(clock, Promise.reject(new Error('boom')), 10, 'x')).rejects.toThrow('boom')
    await expect(withTimeout(clock, () => { throw new Error('sync') }, 10, 'x')).rejects.toThrow('sync')
    expect(clock.pending()).toBe(0)
  })

  test('withTimeout — a late settlement after the timeout is swallowed', async () => {
    const clock = new ManualClock()
    let resolveLate: (v: number) => void = () => {}
    const p = withTimeout(clock, new Promise<number>(resolve => { resolveLate = resolve }), 5, 'late')
    clock.advance(5)
    await expect(p).rejects.toBeInstanceOf(TimeoutError)
    resolveLate(1)
    await settle()
  })
})
