#!/usr/bin/env node
// `blemesh <command>`: the only entry point for people. Commands load lazily so `blemesh wire` never
// touches the Bluetooth libraries and `blemesh sim` never opens a database.

type Command = { summary: string, load: () => Promise<{ run: (argv: string[]) => Promise<number> }> }

const commands: Record<string, Command> = {
  wire: { summary: 'decode and build Bitchat frames', load: async () => await import('./wire-command.js') },
  sim: { summary: 'run the mesh simulator', load: async () => await import('./sim-command.js') },
  node: { summary: 'run a mesh node on Bluetooth', load: async () => await import('./node-command.js') },
  start: { summary: 'simulate a city block and write blemesh-report.html', load: async () => ({ run: (await import('./sim-command.js')).start }) },
}

function usage (): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)
  return `usage: blemesh <command> [options]\n\ncommands:\n${lines.join('\n')}\n`
}

async function main (argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage())
    return name === undefined ? 1 : 0
  }
  // An own key: 'toString' or 'constructor' is not a command.
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined
  if (command === undefined) {
    process.stderr.write(`blemesh: unknown command '${name}'\n${usage()}`)
    return 1
  }
  return await (await command.load()).run(rest)
}

process.exitCode = await main(process.argv.slice(2))
