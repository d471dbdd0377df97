import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    setupFiles: ['test/fast-check-setup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/emulator/**'], fileParallelism: true, sequence: { groupOrder: 0 } },
      },
      {
        // The emulator tests share one virtual air and btvirt's fixed socket paths (/tmp/bt-server-*):
        // their files never run in parallel, and each file runs its tests in order.
        extends: true,
        // groupOrder 1: they start only after the unit project has finished, so real-time timeouts in the
        // node processes are not starved by two cores' worth of property tests.
        test: { name: 'emulator', include: ['test/emulator/**/*.test.ts'], fileParallelism: false, testTimeout: 180_000, hookTimeout: 120_000, sequence: { groupOrder: 1 } },
      },
    ],
  },
})
