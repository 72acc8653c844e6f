import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli/main.ts', worker: 'src/worker/inside.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', worker: 'src/worker/inside.ts' } },
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  // import.meta.url in the CJS build: used to find the init binary beside the package.
  shims: true,
  splitting: false,
});
