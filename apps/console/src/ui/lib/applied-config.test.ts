import { describe, expect, it } from "vitest";
import { recallApplied, rememberApplied } from "./applied-config";

function memoryStore() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => items.set(key, value),
  };
}

describe("applied config store", () => {
  const config = { generation: 3, stunnelConf: "[a]\n", iptablesRules: "*nat\n" };

  it("returns the rendering of the stored generation", () => {
    const store = memoryStore();
    rememberApplied(store, "h1", config);
    expect(recallApplied(store, "h1", 3)).toEqual(config);
  });

  it("returns null for another generation or host", () => {
    const store = memoryStore();
    rememberApplied(store, "h1", config);
    expect(recallApplied(store, "h1", 4)).toBeNull();
    expect(recallApplied(store, "h2", 3)).toBeNull();
  });

  it("returns null for malformed stored text", () => {
    const store = memoryStore();
    store.setItem("tf_applied_config:h1", "{not json");
    expect(recallApplied(store, "h1", 3)).toBeNull();
  });
});
