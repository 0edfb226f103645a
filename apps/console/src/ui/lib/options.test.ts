import { describe, expect, it } from "vitest";
import { parsePorts } from "./options";

describe("parsePorts", () => {
  it("accepts commas and spaces", () => {
    expect(parsePorts("5701, 5702 5703")).toEqual([5701, 5702, 5703]);
  });

  it("returns an empty list for blank input", () => {
    expect(parsePorts("  ")).toEqual([]);
  });

  it("rejects a part that is not a number", () => {
    expect(parsePorts("5701, abc")).toBeNull();
    expect(parsePorts("-1")).toBeNull();
  });
});
