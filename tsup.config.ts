import { defineConfig } from 'tsup';

// No source maps: dist/ is not minified, so a stack trace into it is already readable with the
// source's names, and Node reads maps only under --enable-source-maps; the maps were over half
// of the tarball.
const shared = {
  sourcemap: false,
  target: 'node20',
  platform: 'node',
  treeshake: true,
  // esbuild writes a class that names itself in its own body (`ApiError.from` returns
  // `new ApiError(...)`) as `var ApiError = class _ApiError`, so `constructor.name` was
  // '_ApiError'. keepNames sets every class's and function's name back to the source's.
  keepNames: true,
} as const;

export default defineConfig([
  // The library: one entry per public subpath (package.json exports), ESM and CJS, with types.
  {
    ...shared,
    entry: {
      index: 'src/index.ts',
      server: 'src/server/index.ts',
      msw: 'src/msw/index.ts',
      redis: 'src/redis/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    // Both builds write to dist/ at once: spare the bin's file from this build's clean.
    clean: ['!cli.js'],
    splitting: true,
    // import.meta.url in the CJS build, for createRequire (@noble, loaded on first signature).
    shims: true,
  },
  // The bin: only `node dist/cli.js` loads it, so ESM only and no types; one file, so the
  // library's clean above never races its chunks.
  {
    ...shared,
    entry: { cli: 'src/cli/bin.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    splitting: false,
  },
]);
