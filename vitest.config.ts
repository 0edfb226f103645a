import { defineConfig } from "vitest/config";

// Each workspace folder (and the demo) is a vitest project. A folder may carry its own
// vitest.config.ts, for example to raise timeouts for tests that start PostgreSQL or stunnel.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "scripts/demo"],
  },
});
