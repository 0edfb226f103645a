import { defineConfig } from "vitest/config";

// RSA-4096 key generation and one openssl process per check make some tests take seconds.
export default defineConfig({
  test: {
    name: "@tunnelfleet/pki",
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
