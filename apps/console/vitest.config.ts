import { defineProject } from "vitest/config";

// The console's API and gateway tests run against a real PostgreSQL: allow for initdb
// and a busy machine.
export default defineProject({
  test: {
    globalSetup: ["@tunnelfleet/db/testing/global-setup"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
