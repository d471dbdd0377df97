// `npm run bench`: the core's figures (wire, crypto, relay, fragmentation). Each module prints its own lines.
const modules: Array<() => Promise<{ run: () => Promise<void> | void }>> = [
  // Registered by each area as it lands, in this order: wire, crypto, relay, fragments.
  async () => await import('./wire.bench.js'),
  async () => await import('./crypto.bench.js'),
  async () => await import('./noise.bench.js'),
  async () => await import('./relay.bench.js'),
]

for (const load of modules) await (await load()).run()
