import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'

const MAIN = fileURLToPath(new URL('../../cli/main.ts', import.meta.url))

function blemesh (...argv: string[]): { code: number | null, out: string, err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...argv], { encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

describe('blemesh', () => {
  test.each([['bogus'], ['toString'], ['constructor']])('blemesh — unknown command %s: usage on stderr, exit 1', (name) => {
    const r = blemesh(name)
    expect(r.code).toBe(1)
    expect(r.err).toMatch(new RegExp(`^blemesh: unknown command '${name}'\\n`))
    expect(r.err).toMatch(/usage: blemesh <command>/)
  })

  test('blemesh — --help lists the commands and exits 0', () => {
    const r = blemesh('--help')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/commands:\n(.|\n)*sim(.|\n)*node/)
  })
})
