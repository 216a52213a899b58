import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real anvil nodes; two cores, so keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/helpers/global-setup.ts'],
    projects: [
      {
        extends: true,
        // Unit tests share one module graph per worker: re-importing the sources for every file
        // cost more than the tests themselves. None of them mocks modules or leaves globals changed.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false },
      },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
    ],
  },
});
