import { expect, test } from 'vitest'
import type { Air } from '../../simulator/air.js'
import { SimTransport } from '../../simulator/sim-transport.js'

/** The two calls SimTransport makes on the air, recorded. */
function fakeAir (): Air & { calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    activate: (i: number) => { calls.push(`activate ${i}`) },
    deactivate: (i: number, reason: string, crashed = false) => { calls.push(`deactivate ${i} ${reason}${crashed ? ' (crashed)' : ''}`) },
  } as unknown as Air & { calls: string[] }
}

const handlers = { onLink: () => {} }

test('SimTransport — start puts the node on the air once; stop takes it off once', async () => {
  const air = fakeAir()
  const t = new SimTransport(air, 3)
  await t.stop()
  await t.start(handlers)
  await t.start(handlers)
  await t.stop()
  await t.stop()
  expect(air.calls).toEqual(['activate 3', 'deactivate 3 transport stopped'])
})

test('SimTransport — a crash drops the links as lost, and a restarted transport goes on the air again', async () => {
  const air = fakeAir()
  const t = new SimTransport(air, 5)
  await t.start(handlers)
  t.crash()
  await t.stop()
  await t.start(handlers)
  expect(air.calls).toEqual(['activate 5', 'deactivate 5 peer lost (crashed)', 'activate 5'])
})

test('SimTransport — links the air opens reach the node\'s handlers', async () => {
  let opened: ((link: unknown) => void) | undefined
  const air = { activate: (_i: number, onLink: (link: unknown) => void) => { opened = onLink }, deactivate: () => {} } as unknown as Air
  const got: unknown[] = []
  await new SimTransport(air, 0).start({ onLink: link => { got.push(link) } })
  const link = { id: 'l1' }
  opened!(link)
  expect(got).toEqual([link])
})
