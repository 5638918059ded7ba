import { defineConfig } from 'tsup';

// One entry per public subpath; `./server` and `./msw` slot in here as they land.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    server: 'src/server/index.ts',
    cli: 'src/cli/bin.ts',
    msw: 'src/msw/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
  treeshake: true,
});
