import { defineProject } from "vitest/config";

// Tests here start real PostgreSQL servers: allow for initdb and a busy machine.
export default defineProject({
  test: {
    globalSetup: ["./src/testing/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
