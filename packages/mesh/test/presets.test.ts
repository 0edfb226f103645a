import { describe, expect, it } from "vitest";
import { defaultInboundPortBase, defaultTlsPolicy, PRESET_PORTS, validateClusterSpec } from "../src/index";
import { cluster } from "./fixtures";

describe("presets", () => {
  it("lists the application ports", () => {
    expect(PRESET_PORTS).toEqual({
      hazelcast: [5701, 5702, 5703],
      redis: [6379, 16379],
      rabbitmq: [4369, 25672],
      zookeeper: [2181, 2888, 3888],
      elasticsearch: [9300],
      postgres: [5432],
      custom: [],
    });
  });

  it("default bases validate and never overlap", () => {
    const used = new Set<number>();
    for (const preset of Object.keys(PRESET_PORTS) as (keyof typeof PRESET_PORTS)[]) {
      const spec = cluster("c1", "x", preset, preset === "custom" ? { appPorts: [7000, 7001] } : {});
      expect(validateClusterSpec(spec), preset).toEqual([]);
      for (let index = 0; index < spec.appPorts.length; index += 1) {
        const port = defaultInboundPortBase(preset) + index;
        expect(used.has(port), `${preset} ${port}`).toBe(false);
        used.add(port);
      }
    }
  });

  it("default TLS policy", () => {
    expect(defaultTlsPolicy).toEqual({
      keyType: "ecdsa-p256",
      leafLifetimeDays: 30,
      minTlsVersion: "TLSv1.2",
    });
    expect(Object.isFrozen(defaultTlsPolicy)).toBe(true);
  });
});
