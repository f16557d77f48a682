import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Server and sandbox tests bind loopback ports and spawn processes; forks keep them isolated.
    pool: 'forks',
  },
});
