// The floors of the house (design.md): arrows point down only, and the core stays pure so the same router
// runs over BLE, the emulator and the simulator.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, test } from 'vitest'

const root = join(import.meta.dirname, '..')

function sourcesUnder (dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name)
    if (statSync(join(root, path)).isDirectory()) out.push(...sourcesUnder(path))
    else if (name.endsWith('.ts')) out.push(path)
  }
  return out
}

function importsOf (file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8')
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map(m => m[1]!)
  return specifiers.map(s => s.startsWith('.') ? relative(root, join(root, file, '..', s)) : s)
}

const codeLines = (file: string): string[] =>
  readFileSync(join(root, file), 'utf8').split('\n').filter(line => !/^\s*(\/\/|\*|\/\*)/.test(line))

describe('architecture', () => {
  const floors: Array<[string, string[]]> = [
    ['src', ['hardware', 'simulator', 'cli', 'test', 'bench']],
    ['hardware', ['simulator', 'cli', 'test', 'bench']],
    ['simulator', ['hardware', 'cli', 'test', 'bench']],
    ['cli', ['test', 'bench']],
  ]

  test.each(floors)('architecture — %s imports nothing from the floors it must not see', (floor, forbidden) => {
    const offenders = sourcesUnder(floor).flatMap(file =>
      importsOf(file).filter(target => forbidden.some(f => target === f || target.startsWith(`${f}/`)))
        .map(target => `${file} → ${target}`))
    expect(offenders).toEqual([])
  })

  test('architecture — src/ reads no wall clock, no ambient randomness, no timers and no I/O', () => {
    const impure = /Date\.now\(|Math\.random\(|new Date\(\)|setTimeout\(|setInterval\(|setImmediate\(|process\.|require\(/
    const ioModules = /^(node:)?(fs|net|dgram|child_process|os|http|https|worker_threads)(\/|$)|^@stoprocent\//
    const offenders = sourcesUnder('src').flatMap(file => [
      ...codeLines(file).filter(line => impure.test(line)).map(line => `${file}: ${line.trim()}`),
      ...importsOf(file).filter(target => ioModules.test(target)).map(target => `${file} → ${target}`),
    ])
    expect(offenders).toEqual([])
  })

  test('architecture — only the injected providers in src/ touch node:crypto and node:zlib', () => {
    const allowed = new Set(['src/crypto/node-provider.ts', 'src/wire/node-deflater.ts'])
    const offenders = sourcesUnder('src').filter(file =>
      !allowed.has(file) && importsOf(file).some(t => /^(node:)?(crypto|zlib)$/.test(t)))
    expect(offenders).toEqual([])
  })
})
