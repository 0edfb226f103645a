import { describe, expect, it } from "vitest";
import { diffLines } from "./diff";

describe("diffLines", () => {
  it("marks identical text as unchanged", () => {
    expect(diffLines("a\nb\n", "a\nb\n")).toEqual([
      { kind: "same", text: "a" },
      { kind: "same", text: "b" },
    ]);
  });

  it("marks an added and a removed line", () => {
    const lines = diffLines("[in]\naccept = 9000\n", "[in]\naccept = 9001\nverifyChain = yes\n");
    expect(lines).toEqual([
      { kind: "same", text: "[in]" },
      { kind: "removed", text: "accept = 9000" },
      { kind: "added", text: "accept = 9001" },
      { kind: "added", text: "verifyChain = yes" },
    ]);
  });

  it("treats empty input as no lines", () => {
    expect(diffLines("", "x\n")).toEqual([{ kind: "added", text: "x" }]);
    expect(diffLines("x", "")).toEqual([{ kind: "removed", text: "x" }]);
  });

  it("keeps the longest common run", () => {
    const kinds = diffLines("a\nb\nc\nd\n", "b\nc\nd\ne\n").map((line) => `${line.kind}:${line.text}`);
    expect(kinds).toEqual(["removed:a", "same:b", "same:c", "same:d", "added:e"]);
  });
});
