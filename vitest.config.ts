import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  // Examples import the package by name, as a consumer would; point the names at the source.
  resolve: {
    alias: [
      { find: /^imx-metadata-refresh\/server$/, replacement: src('server/index.ts') },
      { find: /^imx-metadata-refresh\/msw$/, replacement: src('msw/index.ts') },
      { find: /^imx-metadata-refresh$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    environment: 'node',
    testTimeout: 10_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
    },
  },
});
