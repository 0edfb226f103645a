// Browser tests of the console with Debian's Chromium against the real server (started by
// global-setup.ts). The console tests build on each other, so they run in one worker.
import { defineConfig } from "@playwright/test";

// One output folder per run: Playwright empties its output folder at start, which would
// delete the traces of another run going on in the same checkout. The runner sets the id
// and the workers it starts inherit it.
process.env.E2E_RUN_ID ??= String(process.pid);

export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.ts",
  globalSetup: "./global-setup.ts",
  workers: 1,
  fullyParallel: false,
  retries: 0,
  // Generous: a shared 2-core machine runs other suites at the same time.
  timeout: 120_000,
  expect: { timeout: 20_000 },
  outputDir: `../test-results/e2e-${process.env.E2E_RUN_ID}`,
  use: {
    baseURL: process.env.E2E_BASE_URL,
    viewport: { width: 1280, height: 720 },
    locale: "en-GB",
    timezoneId: "UTC",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
