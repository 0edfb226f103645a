import { defineProject } from "vitest/config";

// System tests (test/system) build network namespaces and run real stunnel and iptables;
// on a busy two-core machine one step can take several seconds.
export default defineProject({
  test: {
    name: "@tunnelfleet/agent",
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
