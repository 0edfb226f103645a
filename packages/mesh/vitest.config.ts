import { defineProject } from "vitest/config";

// System tests (*.system.test.ts) start stunnel and iptables in scratch network
// namespaces; on a busy two-core machine one test can take several seconds.
export default defineProject({
  test: {
    name: "@tunnelfleet/mesh",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
