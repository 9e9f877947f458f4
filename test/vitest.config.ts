import { defineConfig } from 'vitest/config';

// Four projects: unit tests of the pure core, scripts and CLI in Node; integration tests that run the real
// Worker bundle (built by wrangler, with the committed model) inside workerd through Miniflare; end-to-end
// tests with real clients against `wrangler dev` (test/e2e); and the page in a real browser (Debian's
// Chromium through playwright-core) against `wrangler dev` (test/browser).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          root: '.',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'worker',
          root: '.',
          include: ['test/worker/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/worker/build-bundle.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          root: '.',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'browser',
          root: '.',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
