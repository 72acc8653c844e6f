import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Everything vite/vitest would write (results cache, dependency cache) goes below the temp dir,
// one directory per user, so an unprivileged user can run the suite from a root-owned checkout.
// (The config file itself is bundled into node_modules/.vite-temp by the default 'bundle' loader;
// scripts/test.mjs passes --configLoader runner so nothing is written there either.)
const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
const cacheDir = path.join(os.tmpdir(), `nsbox-vitest-cache-${uid}`);

export default defineConfig({
  cacheDir,
  test: {
    include: ['test/**/*.test.ts'],
    // Child processes, not worker threads: every test file gets its own process (own fds, own
    // children, own /proc/self), which the leak and lifecycle tests rely on.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Nothing here needs a DOM or globals.
    environment: 'node',
    globals: false,
  },
});
