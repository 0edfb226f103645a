import { defineProject } from "vitest/config";

// The demo's system test runs `npm run demo -- --no-wait`: a next build when the UI is
// stale, PostgreSQL, three agents and Redis replication on a busy two-core machine.
export default defineProject({
  test: {
    name: "@tunnelfleet/demo",
    include: ["test/**/*.test.ts"],
    testTimeout: 900_000,
    hookTimeout: 120_000,
  },
});
