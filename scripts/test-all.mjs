#!/usr/bin/env node
// Runs every check and test suite of the repository in order and ends with one line
// `N passed, N failed, N skipped` that sums them all. Exits 1 when anything failed.
//
// Suites: biome (lint and format), tsc (type check of every workspace), vitest (unit,
// integration and system tests of every workspace), Playwright (browser tests, when
// e2e/playwright.config.ts exists). Lint and type check count as one test each.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const totals = { passed: 0, failed: 0, skipped: 0 };
const reportDir = mkdtempSync(join(tmpdir(), "tunnelfleet-test-"));
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", NEXT_TELEMETRY_DISABLED: "1" };

function run(title, command, args, extraEnv = {}) {
  console.log(`\n=== ${title}: ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { stdio: "inherit", env: { ...env, ...extraEnv } });
  if (result.error) {
    console.error(`${title} could not start: ${result.error.message}`);
    return 1;
  }
  return result.status ?? 1;
}

function countCheck(title, status) {
  if (status === 0) {
    totals.passed += 1;
  } else {
    totals.failed += 1;
    console.error(`${title} failed with exit code ${status}`);
  }
}

function readJson(path) {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    console.error(`could not parse ${path}: ${error.message}`);
    return undefined;
  }
}

countCheck("lint", run("lint", "npx", ["biome", "check", "."]));
// The workspaces through turbo, then the demo and the full-flow browser spec, which sit
// outside any workspace.
const workspacesTypecheck = run("typecheck", "npx", [
  "turbo",
  "run",
  "typecheck",
  "--output-logs=errors-only",
]);
const demoTypecheck = run("typecheck (demo)", "npx", ["tsc", "-p", "scripts/demo/tsconfig.json"]);
countCheck("typecheck", workspacesTypecheck || demoTypecheck);

const vitestReport = join(reportDir, "vitest.json");
const vitestStatus = run("vitest", "npx", [
  "vitest",
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${vitestReport}`,
]);
const vitest = readJson(vitestReport);
if (vitest) {
  totals.passed += vitest.numPassedTests;
  totals.failed += vitest.numFailedTests;
  totals.skipped += vitest.numPendingTests + vitest.numTodoTests;
  // A suite that fails to load has no failed tests but still fails the run.
  if (vitestStatus !== 0 && vitest.numFailedTests === 0) totals.failed += 1;
} else {
  countCheck("vitest", vitestStatus === 0 ? 1 : vitestStatus);
}

if (existsSync("e2e/playwright.config.ts")) {
  const playwrightReport = join(reportDir, "playwright.json");
  const playwrightStatus = run(
    "playwright",
    "npx",
    ["playwright", "test", "--config", "e2e/playwright.config.ts", "--reporter=list,json"],
    { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightReport },
  );
  const playwright = readJson(playwrightReport);
  if (playwright?.stats) {
    totals.passed += playwright.stats.expected + (playwright.stats.flaky ?? 0);
    totals.failed += playwright.stats.unexpected;
    totals.skipped += playwright.stats.skipped;
    if (playwrightStatus !== 0 && playwright.stats.unexpected === 0) totals.failed += 1;
  } else {
    countCheck("playwright", playwrightStatus === 0 ? 1 : playwrightStatus);
  }
}

rmSync(reportDir, { recursive: true, force: true });
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
