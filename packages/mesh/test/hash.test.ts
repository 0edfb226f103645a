import { describe, expect, it } from "vitest";
import { bundleHash, canonicalJson, planHost } from "../src/index";
import { cluster, singleCluster } from "./fixtures";

const plan = () =>
  planHost(singleCluster(cluster("c1", "cache", "redis"), ["10.0.0.1", "10.0.0.2"]), "node-id-1");
const pems = { ca: "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n", cert: "B" };

describe("canonicalJson", () => {
  it("sorts keys at every depth", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 2 }], c: "x" } })).toBe(
      '{"a":{"c":"x","d":[2,{"e":2,"f":1}]},"b":1}',
    );
  });

  it("drops undefined fields", () => {
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
  });
});

describe("bundleHash", () => {
  it("has the sha256 prefix and 64 hex digits", () => {
    expect(bundleHash({ plan: plan(), pems })).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("ignores key order", () => {
    expect(bundleHash({ plan: plan(), pems: { cert: "B", ca: pems.ca } })).toBe(
      bundleHash({ plan: plan(), pems }),
    );
  });

  it("changes with a PEM", () => {
    expect(bundleHash({ plan: plan(), pems: { ...pems, cert: "C" } })).not.toBe(
      bundleHash({ plan: plan(), pems }),
    );
  });

  it("changes with the plan", () => {
    const changed = plan();
    changed.services[0]!.acceptPort += 1;
    expect(bundleHash({ plan: changed, pems })).not.toBe(bundleHash({ plan: plan(), pems }));
  });
});
