// Golden files of rendered stunnel.conf and iptables-restore text. Run with
// UPDATE_GOLDEN=1 to rewrite them, then review the diff by eye.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  lintStunnelConf,
  planHost,
  renderIptablesRemoval,
  renderIptablesRestore,
  renderStunnelConf,
} from "../src/index";
import { GOLDEN_CASES, GOLDEN_PATHS } from "./fixtures";

const GOLDEN_DIR = join(import.meta.dirname, "golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

function expectGolden(file: string, actual: string): void {
  const path = join(GOLDEN_DIR, file);
  if (UPDATE) {
    writeFileSync(path, actual);
    return;
  }
  expect(existsSync(path), `${file} is missing: run the tests with UPDATE_GOLDEN=1`).toBe(true);
  expect(actual).toBe(readFileSync(path, "utf8"));
}

function hasIpv6(testCase: (typeof GOLDEN_CASES)[number]): boolean {
  return testCase.topology.memberships.some((membership) => membership.address.includes(":"));
}

describe("golden files", () => {
  for (const testCase of GOLDEN_CASES) {
    it(`${testCase.name} stunnel.conf`, () => {
      const plan = planHost(testCase.topology, testCase.hostId, testCase.previousAllocation);
      const paths = { ...GOLDEN_PATHS, clusters: testCase.clusterPaths };
      expectGolden(`${testCase.name}.conf`, renderStunnelConf(plan, paths));
    });

    it(`${testCase.name} iptables rules`, () => {
      const plan = planHost(testCase.topology, testCase.hostId, testCase.previousAllocation);
      expectGolden(`${testCase.name}.rules`, renderIptablesRestore(plan, "ipv4"));
      if (hasIpv6(testCase)) expectGolden(`${testCase.name}.ip6.rules`, renderIptablesRestore(plan, "ipv6"));
    });

    it(`${testCase.name} passes the lint`, () => {
      const plan = planHost(testCase.topology, testCase.hostId, testCase.previousAllocation);
      const paths = { ...GOLDEN_PATHS, clusters: testCase.clusterPaths };
      expect(lintStunnelConf(renderStunnelConf(plan, paths))).toEqual([]);
    });
  }

  it("removal text", () => {
    expectGolden("removal.rules", renderIptablesRemoval());
  });
});
