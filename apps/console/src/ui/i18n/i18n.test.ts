import { describe, expect, it } from "vitest";
import { en } from "./en";
import { format } from "./index";
import { zhCN } from "./zh-CN";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

describe("dictionaries", () => {
  it("have identical key sets", () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
  });

  it("use the same placeholders per key", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(zhCN[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it("have no empty messages", () => {
    for (const [key, text] of [...Object.entries(en), ...Object.entries(zhCN)]) {
      expect(text.trim().length, key).toBeGreaterThan(0);
    }
  });
});

describe("format", () => {
  it("fills named placeholders", () => {
    expect(format("{host} joined {cluster}.", { host: "node-a", cluster: "redis" })).toBe(
      "node-a joined redis.",
    );
  });

  it("leaves unknown placeholders as they are", () => {
    expect(format("{days} d, {unknown}", { days: 3 })).toBe("3 d, {unknown}");
  });
});
