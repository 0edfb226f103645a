import { defineConfig } from "vitest/config";

// Each workspace folder is a vitest project; a folder may carry its own vitest.config.ts
// (for example to raise timeouts for tests that start PostgreSQL or stunnel).
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "scripts/demo"],
  },
});
