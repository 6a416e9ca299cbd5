import { defineConfig } from '@playwright/test';

// One worker: each test launches its own Chromium with the extension loaded, and two cores
// cannot run several of those side by side without timing out.
export default defineConfig({
  testDir: 'tests/e2e',
  workers: 1,
  fullyParallel: false,
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: 'list',
  // Separate runs (a developer's and an agent's, or two checkouts) must not share artifacts.
  outputDir: process.env.PW_OUTPUT_DIR ?? 'test-results',
  use: {
    trace: 'retain-on-failure',
  },
});
