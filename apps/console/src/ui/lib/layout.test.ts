import { describe, expect, it } from "vitest";
import { circleLayout, labelSide, linkState } from "./layout";

describe("circleLayout", () => {
  it("puts a single node in the centre", () => {
    expect(circleLayout(1, 100, 80, 50)).toEqual([{ x: 100, y: 80 }]);
  });

  it("starts at the top and spaces nodes evenly", () => {
    const points = circleLayout(4, 0, 0, 10);
    expect(points[0]!.x).toBeCloseTo(0);
    expect(points[0]!.y).toBeCloseTo(-10);
    expect(points[1]!.x).toBeCloseTo(10);
    expect(points[2]!.y).toBeCloseTo(10);
    expect(points[3]!.x).toBeCloseTo(-10);
  });
});

describe("linkState", () => {
  const probe = (peerHostId: string, ok: boolean, clusterId = "c1") => ({ peerHostId, clusterId, ok });

  it("is unknown without probes", () => {
    expect(linkState("c1", { id: "a", probes: null }, { id: "b", probes: [] })).toBe("unknown");
  });

  it("is ok when the probes that exist succeed", () => {
    expect(linkState("c1", { id: "a", probes: [probe("b", true)] }, { id: "b", probes: null })).toBe("ok");
  });

  it("is failing when either end fails", () => {
    const a = { id: "a", probes: [probe("b", true)] };
    const b = { id: "b", probes: [probe("a", false)] };
    expect(linkState("c1", a, b)).toBe("failing");
  });

  it("ignores probes of another cluster", () => {
    const a = { id: "a", probes: [probe("b", false, "c2")] };
    expect(linkState("c1", a, { id: "b", probes: null })).toBe("unknown");
  });
});

describe("labelSide", () => {
  const centre = { x: 0, y: 0 };

  it("faces away from the centre", () => {
    const sides = circleLayout(4, 0, 0, 10).map((point) => labelSide(point, centre));
    expect(sides).toEqual(["above", "right", "below", "left"]);
  });

  it("puts the label of a lone node below it", () => {
    expect(labelSide(centre, centre)).toBe("below");
  });

  it("puts both labels of two nodes outside the edge", () => {
    const sides = circleLayout(2, 0, 0, 10).map((point) => labelSide(point, centre));
    expect(sides).toEqual(["above", "below"]);
  });
});
