import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The emulator tests share one virtual air and fixed socket paths: they must never overlap.
    fileParallelism: true,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
