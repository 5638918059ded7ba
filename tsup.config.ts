import { defineConfig } from 'tsup';

// One entry per public subpath (package.json exports), plus the bin.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    server: 'src/server/index.ts',
    cli: 'src/cli/bin.ts',
    msw: 'src/msw/index.ts',
    redis: 'src/redis/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
  treeshake: true,
  // import.meta.url in the CJS build, for createRequire (lazy ethers).
  shims: true,
});
